package dev.berth.web;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.berth.common.FieldError;
import java.util.List;

/** RFC 9457 problem details, the body of every API error. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(String type, String title, int status, String detail, String instance, String requestId,
                      List<FieldError> errors) {
    public static final String MEDIA_TYPE = "application/problem+json";
}
