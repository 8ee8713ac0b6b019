package dev.berth.common;

/** One invalid input: which field, and what is wrong with it, in words for the person who typed it. */
// Serialised by Vert.x's Json outside Quarkus REST (NotFoundHandler): register it for the native image.
@io.quarkus.runtime.annotations.RegisterForReflection
public record FieldError(String field, String message) {
}
