package dev.berth.web;

import static dev.berth.support.Api.as;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.support.Api;
import dev.berth.support.Browser;
import dev.berth.support.DemoUser;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URL;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chromium.ChromiumNetworkConditions;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * Destructive actions ask in a PatternFly dialog (never the browser's confirm()), and a slow action shows its button
 * busy and cannot be sent twice. The network is slowed so that "while the answer is on its way" lasts long enough to
 * look at; the server's audit log then counts what really arrived.
 */
@QuarkusTest
class FeedbackBrowserTest {
    @TestHTTPResource("/")
    URL portal;

    @Test
    void suspendingAsksInADialogAndIsSentOnceHoweverOftenItIsClicked() throws Exception {
        String slug = Api.unique("fb");
        as(DemoUser.CAROL).body(Map.of("slug", slug)).when().post("/api/v1/admin/tenants").then().statusCode(201);
        try (var b = new Browser(portal)) {
            b.signIn(DemoUser.CAROL);
            b.open("/admin/tenants/" + slug);
            String script = (String) b.driver.executeAsyncScript(
                    "var done = arguments[0]; fetch('/static/js/forms.js').then(r => r.text()).then(done);");
            for (String source : new String[] {b.driver.getPageSource(), script}) {
                assertFalse(source.contains("confirm("), "no browser confirm() in the page or its script");
            }

            // Cancel leaves everything as it was.
            b.visible(By.id("suspend")).click();
            assertTrue(b.visible(By.id("confirm-dialog-body")).getText().startsWith("Suspend " + slug + "?"));
            assertEquals("dialog", b.driver.findElement(By.cssSelector("#confirm-dialog [role]")).getAttribute("role"));
            assertTrue(b.driver.findElement(By.id("confirm-dialog-ok")).getAttribute("class").contains("pf-m-danger"),
                    "a destructive action confirms with a danger button");
            b.driver.findElement(By.id("confirm-dialog-cancel")).click();
            b.wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("confirm-dialog")));
            assertEquals(false, as(DemoUser.CAROL).when().get("/api/v1/admin/tenants/" + slug).then().statusCode(200)
                    .extract().path("tenant.suspended"));

            // Confirmed on a slow network: busy at once, and the clicks that follow send nothing.
            var slow = new ChromiumNetworkConditions();
            slow.setLatency(Duration.ofMillis(2500));
            b.driver.setNetworkConditions(slow);
            b.visible(By.id("suspend")).click();
            b.confirm();
            WebElement button = b.driver.findElement(By.id("suspend"));
            assertTrue(button.getAttribute("class").contains("pf-m-in-progress"), "busy: " + button.getAttribute("class"));
            assertEquals("true", button.getAttribute("aria-disabled"));
            for (int i = 0; i < 3; i++) {
                b.driver.executeScript("arguments[0].click();", button);
            }
            assertTrue(b.driver.findElements(By.id("confirm-dialog")).isEmpty(), "no second question while busy");
            b.wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("flash")));
            b.driver.deleteNetworkConditions();
        }
        assertEquals(true, as(DemoUser.CAROL).when().get("/api/v1/admin/tenants/" + slug).then().statusCode(200)
                .extract().path("tenant.suspended"));
        int suspensions = as(DemoUser.CAROL).queryParam("tenant", slug).queryParam("action", "tenant.suspend")
                .when().get("/api/v1/admin/audit").then().statusCode(200).extract().path("total");
        assertEquals(1, suspensions, "one suspension however often the button was clicked");
    }
}
