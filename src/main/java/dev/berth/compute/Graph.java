package dev.berth.compute;

import dev.berth.common.ByteSize;
import io.quarkus.qute.TemplateData;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleFunction;
import java.util.function.ToDoubleFunction;

/**
 * A server-drawn SVG graph of the last hour: a y axis with a rounded top and its unit, time marks every 15 minutes
 * (UTC), the line, and a dot per sample whose title is its time and value (shown on hover); optionally a limit line
 * (the machine's memory). No script draws anything, so the CSP stays as strict as it is.
 */
@TemplateData
public record Graph(String title, String latest, String about, boolean empty, String points, List<Tick> yTicks,
                    List<Tick> xTicks, List<Dot> dots, Tick limit) {
    public static final int WIDTH = 480;
    public static final int HEIGHT = 170;
    /** The plot area inside the SVG: room on the left for the y labels and below for the time marks. */
    public static final int LEFT = 64;
    public static final int TOP = 10;
    public static final int RIGHT = 470;
    public static final int BOTTOM = 140;
    static final Duration WINDOW = Duration.ofHours(1);
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter EXACT = DateTimeFormatter.ofPattern("HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

    /** A mark on an axis (or the limit line): its position in SVG units and its label. */
    public record Tick(double at, String label) {
    }

    /** One sample: where it is drawn and what the hover says. */
    public record Dot(double x, double y, String label) {
    }

    public int width() {
        return WIDTH;
    }

    public int height() {
        return HEIGHT;
    }

    public int left() {
        return LEFT;
    }

    public int right() {
        return RIGHT;
    }

    public int top() {
        return TOP;
    }

    public int bottom() {
        return BOTTOM;
    }

    // Positions the template needs, computed here: Qute does no arithmetic on doubles.
    public int plotWidth() {
        return RIGHT - LEFT;
    }

    public int plotHeight() {
        return BOTTOM - TOP;
    }

    public int yLabelX() {
        return LEFT - 6;
    }

    public int xLabelY() {
        return BOTTOM + 16;
    }

    public int axisTitleY() {
        return BOTTOM + 30;
    }

    public int midX() {
        return (LEFT + RIGHT) / 2;
    }

    public int midY() {
        return (TOP + BOTTOM) / 2;
    }

    public int limitLabelX() {
        return RIGHT - 4;
    }

    /** The limit's label just above its line. */
    public double limitLabelY() {
        return limit == null ? 0 : limit.at() - 4;
    }

    /**
     * @param floorMax  the smallest top of the y axis (100 for a percentage; 1 byte for quantities)
     * @param limit     a line to draw across (e.g. the machine's memory), or a negative number for none
     * @param bytes     true when values are bytes (the axis is rounded to binary steps), false for plain numbers
     */
    public static Graph of(String title, String about, List<StatsPoint> series, ToDoubleFunction<StatsPoint> value,
                           double floorMax, double limit, boolean bytes, DoubleFunction<String> format) {
        Instant end = series.isEmpty() ? Instant.now() : series.get(series.size() - 1).at();
        Instant start = end.minus(WINDOW);
        var xTicks = new ArrayList<Tick>();
        long quarter = Duration.ofMinutes(15).toSeconds();
        for (long s = (start.getEpochSecond() / quarter + 1) * quarter; s <= end.getEpochSecond(); s += quarter) {
            Instant t = Instant.ofEpochSecond(s);
            xTicks.add(new Tick(x(t, start), CLOCK.format(t)));
        }
        double max = floorMax;
        for (StatsPoint p : series) {
            max = Math.max(max, value.applyAsDouble(p));
        }
        if (limit > 0) {
            max = Math.max(max, limit);
        }
        double top = bytes ? niceBytes(max) : nice(max);
        var yTicks = new ArrayList<Tick>();
        for (int i = 0; i <= 2; i++) {
            double v = top * i / 2;
            yTicks.add(new Tick(y(v, top), format.apply(v)));
        }
        if (series.isEmpty()) {
            return new Graph(title, "collecting…", about, true, "", yTicks, xTicks, List.of(), null);
        }
        var sb = new StringBuilder();
        var dots = new ArrayList<Dot>();
        for (StatsPoint p : series) {
            double v = value.applyAsDouble(p);
            double px = x(p.at(), start);
            double py = y(v, top);
            sb.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
            dots.add(new Dot(round(px), round(py), EXACT.format(p.at()) + ": " + format.apply(v)));
        }
        Tick limitLine = limit > 0 ? new Tick(y(limit, top), "allocated " + format.apply(limit)) : null;
        return new Graph(title, format.apply(value.applyAsDouble(series.get(series.size() - 1))), about, false,
                sb.toString().trim(), yTicks, xTicks, dots, limitLine);
    }

    /** The machine page's four graphs; memory with the machine's allocation as a line and what libvirt measures. */
    public static List<Graph> all(List<StatsPoint> series, long memoryBytes) {
        return List.of(
                of("CPU", "Share of the machine's vCPUs in use.", series, StatsPoint::cpuPercent, 100, -1, false,
                        v -> String.format(Locale.ROOT, "%.1f %%", v)),
                of("Memory", "As libvirt reports it: what the guest uses where its balloon driver says so; otherwise the "
                        + "resident memory of the machine's QEMU process on the host, which includes QEMU's own overhead "
                        + "and so can be more than the machine's " + ByteSize.format(memoryBytes) + ".",
                        series, p -> p.memoryUsedBytes(), 1, memoryBytes, true, v -> ByteSize.format((long) v)),
                of("Disk read+write", "Bytes per second read and written on all of its disks.", series,
                        p -> p.diskReadBps() + p.diskWriteBps(), 1024, -1, true, v -> ByteSize.format((long) v) + "/s"),
                of("Network rx+tx", "Bytes per second received and sent on all of its interfaces.", series,
                        p -> p.netRxBps() + p.netTxBps(), 1024, -1, true, v -> ByteSize.format((long) v) + "/s"));
    }

    static double x(Instant t, Instant start) {
        double share = (double) Duration.between(start, t).toMillis() / WINDOW.toMillis();
        return round(LEFT + Math.max(0, Math.min(1, share)) * (RIGHT - LEFT));
    }

    static double y(double v, double top) {
        return round(BOTTOM - v / top * (BOTTOM - TOP));
    }

    private static double round(double d) {
        return Math.round(d * 10) / 10.0;
    }

    /** 1, 2 or 5 times a power of ten, at least v: an axis top a person reads at a glance. */
    static double nice(double v) {
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    /** A power of two at least v (1 KiB, 2 KiB, … 512 MiB, 1 GiB): halves of it are whole binary units too. */
    static double niceBytes(double v) {
        double top = 1;
        while (top < v) {
            top *= 2;
        }
        return top;
    }
}
