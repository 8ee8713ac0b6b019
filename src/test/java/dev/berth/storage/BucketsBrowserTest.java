package dev.berth.storage;

import static dev.berth.support.Api.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.storage.key.MountInstructions;
import dev.berth.support.Browser;
import dev.berth.support.DemoUser;
import dev.berth.support.Shell;
import dev.berth.support.Storage;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;

/**
 * Headless Chromium: alice creates a bucket and a read-write key, sees the secret once with the mount instructions,
 * and the s3fs instructions exactly as the page shows them mount the bucket on the first try.
 */
@QuarkusTest
class BucketsBrowserTest {
    @TestHTTPResource("/")
    URL portal;

    @AfterAll
    static void removeStorage() {
        Storage.remove("acme");
    }

    @Test
    void aliceCreatesABucketAndAKeyAndMountsIt() throws Exception {
        dev.berth.support.Api.as(DemoUser.ALICE).get("/api/v1/me").then().statusCode(200);
        Storage.quota("acme", "1 GiB", "2 GiB");
        Storage.ready("acme");
        String bucket = unique("datasets");
        try (var b = new Browser(portal)) {
            b.signIn(DemoUser.ALICE);
            b.open("/storage/buckets");
            b.type("name", bucket);
            b.driver.findElement(By.id("create-bucket-submit")).click();
            assertEquals("Bucket " + bucket + " created. Create a key to mount it.", b.visible(By.id("flash")).getText());
            assertEquals(bucket, b.visible(By.id("bucket-name")).getText());

            new Select(b.visible(By.id("mode"))).selectByValue("read-write");
            b.type("description", "spark workers");
            b.driver.findElement(By.id("create-key-submit")).click();
            b.visible(By.id("secret-once"));
            String secret = b.visible(By.id("secret-key")).getText();
            assertEquals(40, secret.length());
            String ca = b.visible(By.id("snippet-s3fs-ca")).getText();
            String passwd = b.visible(By.id("snippet-s3fs-passwd")).getText();
            String mount = b.driver.findElement(By.id("snippet-s3fs-mount")).getText();
            assertTrue(passwd.contains(secret), passwd);
            var copy = b.driver.findElement(By.cssSelector("button[data-copy='snippet-s3fs-mount']"));
            copy.click();
            b.wait.until(ExpectedConditions.textToBePresentInElement(copy, "Copied"));
            assertTrue(b.driver.findElement(By.id("download")).getAttribute("href").startsWith("data:text/plain"));
            b.driver.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 1300));
            b.driver.executeScript("document.querySelector('main').scrollTop = 0; window.scrollTo(0, 0)");
            b.screenshot("keys.png", "keys.png");

            // what the page shows is what a person pastes: it mounts on the first try
            Path root = Files.createTempDirectory("berth-ui-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            Path mp = root.resolve("mnt").resolve(bucket);
            String localize = "s#" + MountInstructions.CONFIG_DIR + "#" + root + MountInstructions.CONFIG_DIR + "#g";
            assertEquals(0, Shell.run(root, local(ca, root, bucket)).exit(), "the storage CA, as the page shows it");
            assertEquals(0, Shell.run(root, local(passwd, root, bucket)).exit());
            try {
                Shell.Result r = Shell.run(root, local(mount, root, bucket));
                assertEquals(0, r.exit(), r.output() + localize);
                Shell.awaitMounted(mp, null, null);
                Files.writeString(mp.resolve("hello.txt"), "from the browser's instructions");
                assertEquals("from the browser's instructions", Files.readString(mp.resolve("hello.txt")));
            } finally {
                Shell.unmount(mp);
                try (var files = Files.walk(root)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }

            b.open("/storage/buckets/" + bucket);
            String keys = b.visible(By.id("keys-table")).getText();
            assertTrue(keys.contains("spark workers") && keys.contains("alice") && keys.contains("read-write"), keys);
            assertTrue(!b.driver.getPageSource().contains(secret), "the secret is shown once only");
        }
        dev.berth.support.Api.as(DemoUser.ALICE).delete("/api/v1/buckets/" + bucket + "?confirm=" + bucket).then().statusCode(204);
    }

    private static String local(String snippet, Path root, String bucket) {
        return snippet.replace(MountInstructions.CONFIG_DIR, root + MountInstructions.CONFIG_DIR)
                .replace("/mnt/" + bucket, root.resolve("mnt").resolve(bucket).toString());
    }
}
