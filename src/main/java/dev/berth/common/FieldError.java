package dev.berth.common;

import io.quarkus.runtime.annotations.RegisterForReflection;

/** One invalid input: which field, and what is wrong with it, in words for the person who typed it. */
// Serialised by Vert.x's Json outside Quarkus REST (NotFoundHandler): register it for the native image.
@RegisterForReflection
public record FieldError(String field, String message) {
}
