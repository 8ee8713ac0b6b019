package dev.berth.compute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import dev.berth.support.DatabasePass;

@Tag(DatabasePass.INDEPENDENT)
class StatsTest {
    static DomainStats at(long second, long cpuNanos, long diskRead) {
        return new DomainStats(Instant.ofEpochSecond(second), cpuNanos, 2, 512L << 20, diskRead, 0, 1000 * second, 0);
    }

    @Test
    void ratesBetweenTwoSamples() {
        // 10 s apart, 5 s of CPU on 2 vCPUs = 25 %; 10 MB read = 1 MB/s
        StatsPoint p = StatsPoint.between(at(100, 0, 0), at(110, 5_000_000_000L, 10_000_000));
        assertEquals(25.0, p.cpuPercent(), 1e-9);
        assertEquals(1_000_000, p.diskReadBps(), 1e-9);
        assertEquals(1000, p.netRxBps(), 1e-9);
        assertEquals(512L << 20, p.memoryUsedBytes());
    }

    @Test
    void aRestartOrOutOfOrderSamplesGiveNoPoint() {
        assertNull(StatsPoint.between(at(100, 9_000_000_000L, 0), at(110, 1_000_000_000L, 0)));
        assertNull(StatsPoint.between(at(110, 0, 0), at(100, 0, 0)));
    }

    @Test
    void historyKeepsAnHourAndSparklinesScale() {
        var h = new StatsHistory();
        var all = new java.util.ArrayList<StatsPoint>();
        for (int i = 0; i <= 300; i++) { // 300 samples 15 s apart: 75 minutes
            StatsPoint p = h.record(7, at(i * 15L, i * 7_500_000_000L, 0)); // 7.5 s CPU per 15 s on 2 vCPUs = 25 %
            if (p != null) {
                all.add(p);
            }
        }
        assertEquals(300, all.size(), "the first sample has nothing to compare with");
        List<StatsPoint> points = StatsHistory.lastHour(all);
        assertEquals(241, points.size(), "one hour of 15 s rates, inclusive of both ends");
        assertTrue(points.stream().allMatch(p -> Math.abs(p.cpuPercent() - 25.0) < 1e-9));
        Graph cpu = Graph.all(points, 1L << 30).get(0);
        assertEquals("25.0 %", cpu.latest());
        // the first point is the hour's start, at the left of the plot; 25 % of a 0–100 axis, a quarter up from the bottom
        assertTrue(cpu.points().startsWith(Graph.LEFT + ".0," + (Graph.BOTTOM - (Graph.BOTTOM - Graph.TOP) / 4.0) + " "), cpu.points());
        assertTrue(Graph.all(List.of(), 1L << 30).get(0).empty());
    }
}
