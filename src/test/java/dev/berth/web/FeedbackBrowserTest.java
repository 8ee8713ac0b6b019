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
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * Destructive actions ask in a PatternFly dialog (never the browser's confirm()), and a slow action shows its button
 * busy and cannot be sent twice; the server's audit log counts what really arrived.
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

            // Confirmed, then clicked again and again before the answer comes (all in one script, so before the page
            // can navigate away): busy at once, no second question, nothing sent twice.
            b.visible(By.id("suspend")).click();
            b.visible(By.id("confirm-dialog-ok"));
            @SuppressWarnings("unchecked")
            var seen = (java.util.List<Object>) b.driver.executeScript("""
                    document.getElementById('confirm-dialog-ok').click();
                    const button = document.getElementById('suspend');
                    const state = [button.className, button.getAttribute('aria-disabled'), button.form.hasAttribute('data-busy')];
                    button.click(); button.click(); button.click();
                    return state.concat([document.getElementById('confirm-dialog') === null]);""");
            assertTrue(((String) seen.get(0)).contains("pf-m-in-progress"), "busy: " + seen);
            assertEquals("true", seen.get(1), "aria-disabled while busy");
            assertEquals(true, seen.get(2), "the form knows it is on its way");
            assertEquals(true, seen.get(3), "no second question while busy");
            b.wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("flash")));
        }
        assertEquals(true, as(DemoUser.CAROL).when().get("/api/v1/admin/tenants/" + slug).then().statusCode(200)
                .extract().path("tenant.suspended"));
        int suspensions = as(DemoUser.CAROL).queryParam("tenant", slug).queryParam("action", "tenant.suspend")
                .when().get("/api/v1/admin/audit").then().statusCode(200).extract().path("total");
        assertEquals(1, suspensions, "one suspension however often the button was clicked");
    }
}
