package dev.berth.compute;

import io.quarkus.qute.TemplateData;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/** A small server-drawn SVG graph: the points of a polyline in a 120×30 box, and the latest value in words. */
@TemplateData
public record Sparkline(String title, String points, String latest, boolean empty) {
    static final int WIDTH = 120;
    static final int HEIGHT = 30;

    public static Sparkline of(String title, List<StatsPoint> series, ToDoubleFunction<StatsPoint> value, double floorMax,
                               java.util.function.DoubleFunction<String> format) {
        if (series.isEmpty()) {
            return new Sparkline(title, "", "collecting…", true);
        }
        double max = floorMax;
        for (StatsPoint p : series) {
            max = Math.max(max, value.applyAsDouble(p));
        }
        var sb = new StringBuilder();
        int n = series.size();
        for (int i = 0; i < n; i++) {
            double x = n == 1 ? WIDTH : (double) i * WIDTH / (n - 1);
            double y = HEIGHT - value.applyAsDouble(series.get(i)) / max * HEIGHT;
            sb.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
        }
        return new Sparkline(title, sb.toString().trim(), format.apply(value.applyAsDouble(series.get(n - 1))), false);
    }

    public static List<Sparkline> all(List<StatsPoint> series) {
        return List.of(
                of("CPU", series, StatsPoint::cpuPercent, 100, v -> String.format(Locale.ROOT, "%.1f %%", v)),
                of("Memory", series, p -> p.memoryUsedBytes(), 1, v -> dev.berth.common.ByteSize.format((long) v)),
                of("Disk read+write", series, p -> p.diskReadBps() + p.diskWriteBps(), 1, v -> dev.berth.common.ByteSize.format((long) v) + "/s"),
                of("Network rx+tx", series, p -> p.netRxBps() + p.netTxBps(), 1, v -> dev.berth.common.ByteSize.format((long) v) + "/s"));
    }
}
