package dev.berth.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.support.Browser;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URL;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

/** Swagger UI's page runs inline scripts: under its own policy (SecurityHeaders) it still renders the API. */
@QuarkusTest
class SwaggerUiBrowserTest {
    @TestHTTPResource("/")
    URL portal;

    @Test
    void swaggerUiRendersTheApi() throws Exception {
        try (var b = new Browser(portal)) {
            b.open("/q/swagger-ui/");
            assertTrue(b.visible(By.cssSelector(".swagger-ui .info .title")).getText().startsWith("Berth API"));
            b.visible(By.cssSelector(".opblock-summary-path[data-path='/api/v1/me']"));
            List<String> violations = b.consoleMessages().stream()
                    .filter(m -> m.contains("Content Security Policy") || m.contains("Content-Security-Policy")).toList();
            assertEquals(List.of(), violations);
        }
    }
}
