package dev.berth.common;

/** One invalid input: which field, and what is wrong with it, in words for the person who typed it. */
public record FieldError(String field, String message) {
}
