package dev.berth.web;

import io.quarkus.qute.TemplateData;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * PatternFly's pagination for a paged list ("1–50 of 312", first/previous/next/last, page size), its links keeping the
 * list's filters in the query string. {@code self} is the page itself, for parts that refresh themselves (htmx).
 */
@TemplateData
public record Pager(int page, int pages, long total, int size, String previous, String next, String first, String last,
                    String self, List<SizeChoice> sizes, Map<String, String> filters, String path) {
    /** The page sizes offered, and the one used when none is asked for. */
    public static final List<Integer> SIZES = List.of(10, 20, 50, 100);
    public static final int DEFAULT_SIZE = 50;

    public record SizeChoice(int size, boolean selected) {
    }

    /** A page size from a link or a form: one of {@link #SIZES}, otherwise the default (pages never answer 400 for it). */
    public static int size(Integer asked) {
        return size(asked, DEFAULT_SIZE);
    }

    public static int size(Integer asked, int fallback) {
        return asked != null && SIZES.contains(asked) ? asked : fallback;
    }

    public static Pager of(String path, Map<String, String> filters, int page, int size, long total) {
        int pages = (int) Math.max(1, (total + size - 1) / size);
        var kept = new LinkedHashMap<String, String>(filters);
        if (size != DEFAULT_SIZE) {
            kept.put("size", String.valueOf(size));
        }
        String query = query(kept);
        String base = path + (query.isEmpty() ? "?" : query + "&") + "page=";
        var sizes = SIZES.stream().map(s -> new SizeChoice(s, s == size)).toList();
        var hidden = new LinkedHashMap<String, String>();
        filters.forEach((k, v) -> {
            if (v != null && !v.isBlank()) {
                hidden.put(k, v.trim());
            }
        });
        return new Pager(page, pages, total, size, page > 0 ? base + (page - 1) : null,
                page + 1 < pages ? base + (page + 1) : null, page > 0 ? base + 0 : null,
                page + 1 < pages ? base + (pages - 1) : null, page == 0 ? path + query : base + page, sizes, hidden, path);
    }

    /** "?k=v&…" of the filters that are set, or "" when none is. */
    public static String query(Map<String, String> filters) {
        String q = filters.entrySet().stream()
                .filter(e -> e.getValue() != null && !e.getValue().isBlank())
                .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue().trim(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        return q.isEmpty() ? "" : "?" + q;
    }

    /** 1-based, for people. */
    public int number() {
        return page + 1;
    }

    /** First row shown, 1-based (0 for an empty list). */
    public long from() {
        return total == 0 ? 0 : Math.min(total, (long) page * size + 1);
    }

    /** Last row shown. */
    public long to() {
        return Math.min(total, (long) (page + 1) * size);
    }
}
