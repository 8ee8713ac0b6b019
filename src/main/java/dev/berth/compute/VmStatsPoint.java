package dev.berth.compute;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/** One rate sample of an assigned machine, kept for an hour: every replica draws the same graphs. */
@Entity
@Table(name = "vm_stats_point")
public class VmStatsPoint extends PanacheEntityBase {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    public Long id;
    @Column(name = "assignment_id", nullable = false)
    public long assignmentId;
    @Column(nullable = false)
    public Instant at;
    @Column(name = "cpu_percent", nullable = false)
    public double cpuPercent;
    @Column(name = "memory_used_bytes", nullable = false)
    public long memoryUsedBytes;
    @Column(name = "disk_read_bps", nullable = false)
    public double diskReadBps;
    @Column(name = "disk_write_bps", nullable = false)
    public double diskWriteBps;
    @Column(name = "net_rx_bps", nullable = false)
    public double netRxBps;
    @Column(name = "net_tx_bps", nullable = false)
    public double netTxBps;

    static VmStatsPoint of(long assignmentId, StatsPoint p) {
        var e = new VmStatsPoint();
        e.assignmentId = assignmentId;
        e.at = p.at();
        e.cpuPercent = p.cpuPercent();
        e.memoryUsedBytes = p.memoryUsedBytes();
        e.diskReadBps = p.diskReadBps();
        e.diskWriteBps = p.diskWriteBps();
        e.netRxBps = p.netRxBps();
        e.netTxBps = p.netTxBps();
        return e;
    }

    StatsPoint view() {
        return new StatsPoint(at, cpuPercent, memoryUsedBytes, diskReadBps, diskWriteBps, netRxBps, netTxBps);
    }
}
