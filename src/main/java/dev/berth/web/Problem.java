package dev.berth.web;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.berth.common.FieldError;
import io.quarkus.runtime.annotations.RegisterForReflection;
import java.util.List;

/** RFC 9457 problem details, the body of every API error. */
@JsonInclude(JsonInclude.Include.NON_NULL)
// Serialised by Vert.x's Json outside Quarkus REST (NotFoundHandler): register it for the native image.
@RegisterForReflection
public record Problem(String type, String title, int status, String detail, String instance, String requestId,
                      List<FieldError> errors) {
    public static final String MEDIA_TYPE = "application/problem+json";
}
