package dev.berth.web;

import io.quarkus.qute.TemplateData;
import dev.berth.common.FieldError;
import dev.berth.common.InvalidInputException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A form's broken rules, for templates: the message beside each field, and a summary at the top. */
@TemplateData
public final class FormErrors {
    private static final FormErrors NONE = new FormErrors(Map.of(), null);

    private final Map<String, String> byField;
    private final String summary;

    private FormErrors(Map<String, String> byField, String summary) {
        this.byField = byField;
        this.summary = summary;
    }

    public static FormErrors none() {
        return NONE;
    }

    public static FormErrors of(InvalidInputException e) {
        var map = new LinkedHashMap<String, String>();
        for (FieldError fe : e.errors()) {
            map.putIfAbsent(fe.field(), fe.message());
        }
        // Says what the page shows: each field's own message beside it (fieldhelp.html), marked in red.
        String summary = map.size() == 1
                ? "Nothing was saved: one field needs a change (see the message beside it)."
                : "Nothing was saved: " + map.size() + " fields need a change (see the messages beside them).";
        return new FormErrors(map, summary);
    }

    /** A form-level error that belongs to no single field (e.g. a conflict). */
    public static FormErrors message(String summary) {
        return new FormErrors(Map.of(), summary);
    }

    public boolean any() {
        return summary != null;
    }

    public String summary() {
        return summary;
    }

    public boolean has(String field) {
        return byField.containsKey(field);
    }

    public String get(String field) {
        return byField.get(field);
    }

    public List<String> fields() {
        return List.copyOf(byField.keySet());
    }
}
