package dev.berth.web;

import io.quarkus.qute.TemplateData;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.stream.Collectors;

/** Previous/next links for a paged list, keeping the list's filters in the query string. */
@TemplateData
public record Pager(int page, int pages, long total, String previous, String next) {
    public static Pager of(String path, Map<String, String> filters, int page, int size, long total) {
        int pages = (int) Math.max(1, (total + size - 1) / size);
        String query = query(filters);
        String base = path + (query.isEmpty() ? "?" : query + "&") + "page=";
        return new Pager(page, pages, total, page > 0 ? base + (page - 1) : null, page + 1 < pages ? base + (page + 1) : null);
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
}
