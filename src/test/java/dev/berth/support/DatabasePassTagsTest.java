package dev.berth.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The PostgreSQL pass re-runs only what touches the database: a test class that starts no Quarkus application (plain
 * unit, connector and real-backend tests) must carry {@link DatabasePass#INDEPENDENT} or {@link DatabasePass#POSTGRESQL_ONLY},
 * else it runs twice for nothing. Read from the sources, as the pom's tag filters see the classes.
 */
@Tag(DatabasePass.INDEPENDENT)
class DatabasePassTagsTest {
    @Test
    void everyTestWithoutQuarkusChoosesItsPass() throws IOException {
        List<String> untagged;
        try (Stream<Path> files = Files.walk(Path.of("src/test/java"))) {
            untagged = files.filter(p -> p.getFileName().toString().endsWith("Test.java")).filter(p -> {
                try {
                    String s = Files.readString(p);
                    return !s.contains("@QuarkusTest") && !s.contains("@Tag(DatabasePass.");
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }).map(Path::toString).sorted().toList();
        }
        assertEquals(List.of(), untagged, "test classes without Quarkus that would run again in the PostgreSQL pass");
    }
}
