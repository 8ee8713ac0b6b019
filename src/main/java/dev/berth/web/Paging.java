package dev.berth.web;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.QueryParam;
import java.util.List;

/**
 * The one paging rule of every list, API and pages alike: page is 0-based and bounded so that page × size never
 * overflows (a page past the end is empty, never an error); size is bounded so one answer stays small.
 * API resources take it as a {@code @BeanParam @Valid}; pages, which must never answer 400 for a stale link, clamp.
 */
public class Paging {
    public static final int MAX_PAGE = 1_000_000;
    public static final int MAX_SIZE = 500;

    @QueryParam("page")
    @DefaultValue("0")
    @Min(0)
    @Max(MAX_PAGE)
    public int page;

    @QueryParam("size")
    @DefaultValue("50")
    @Min(1)
    @Max(MAX_SIZE)
    public int size;

    public Paging() {
    }

    public Paging(int page, int size) {
        this.page = page;
        this.size = size;
    }

    /** A page number from a link or a form, clamped into range. */
    public static int clamp(int page) {
        return Math.max(0, Math.min(MAX_PAGE, page));
    }

    /** First row of this page; a long, so that no page number can overflow it. */
    public long offset() {
        return (long) page * size;
    }

    /** This page of an in-memory list; empty past the end. */
    public <T> List<T> slice(List<T> all) {
        int from = (int) Math.min(all.size(), offset());
        return all.subList(from, Math.min(all.size(), from + size));
    }
}
