package dev.berth.common;

import java.util.ArrayList;
import java.util.List;

/** Collects broken rules so a form can show all of them at once. */
public final class Errors {
    private final List<FieldError> errors = new ArrayList<>();

    public Errors add(String field, String message) {
        errors.add(new FieldError(field, message));
        return this;
    }

    public boolean has(String field) {
        return errors.stream().anyMatch(e -> e.field().equals(field));
    }

    /** Requires a non-blank value no longer than {@code max}; returns it trimmed, or null after recording why. */
    public String required(String field, String value, int max) {
        if (value == null || value.isBlank()) {
            add(field, "is required");
            return null;
        }
        return optional(field, value, max);
    }

    public String optional(String field, String value, int max) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String v = value.trim();
        if (v.length() > max) {
            add(field, "is too long (at most " + max + " characters)");
            return null;
        }
        return v;
    }

    public void throwIfAny() {
        if (!errors.isEmpty()) {
            throw new InvalidInputException(errors);
        }
    }
}
