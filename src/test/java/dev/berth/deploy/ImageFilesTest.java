package dev.berth.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.reflect.Executable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import dev.berth.support.DatabasePass;

/**
 * The image files that cannot be built here stay in step with those that are: the production JVM Dockerfile with its
 * verified offline twin, the MinIO source build with the launcher's pinned version, the image's user with the
 * Kubernetes manifests, and the native-image configuration with the classes, methods and fields it names.
 */
@Tag(DatabasePass.INDEPENDENT)
class ImageFilesTest {
    static final Path DOCKER = Path.of("src/main/docker");
    static final Path NATIVE = Path.of("src/main/resources/META-INF/native-image/dev.berth");
    static final ObjectMapper JSON = new ObjectMapper();

    static String appPart(Path dockerfile) throws IOException {
        String text = Files.readString(dockerfile);
        int at = text.indexOf("# --- app (keep identical");
        assertTrue(at >= 0, dockerfile + " has the app marker");
        return text.substring(text.indexOf('\n', at) + 1);
    }

    @Test
    void productionDockerfileMatchesTheVerifiedTwin() throws IOException {
        assertEquals(appPart(DOCKER.resolve("Dockerfile.jvm.local")), appPart(DOCKER.resolve("Dockerfile.jvm")));
        String app = appPart(DOCKER.resolve("Dockerfile.jvm"));
        assertTrue(app.contains("USER 10001:10001"), "non-root");
        assertTrue(app.contains("HEALTHCHECK"), "health check");
        assertTrue(app.contains("--enable-native-access=ALL-UNNAMED"), "native access for libvirt's JNA");
        String k8s = Files.readString(Path.of("k8s/base/deployment.yaml"));
        assertTrue(k8s.contains("runAsUser: 10001"), "the manifests run the image's user");
    }

    @Test
    void minioIsBuiltFromSourceAtTheLaunchersVersion() throws IOException {
        String pinned = match(Files.readString(Path.of("berth")), "(?m)^MINIO_VERSION=(\\S+)$");
        String dockerfile = Files.readString(DOCKER.resolve("minio/Dockerfile.source"));
        assertEquals(pinned, match(dockerfile, "(?m)^ARG MINIO_VERSION=(\\S+)$"));
        assertTrue(dockerfile.contains("go install github.com/minio/minio@${MINIO_VERSION}"));
        assertTrue(dockerfile.contains("FROM scratch"), "a minimal runtime stage");
    }

    @Test
    void nativeConfigurationNamesWhatExists() throws Exception {
        List<String> missing = new ArrayList<>();
        int checked = 0;
        for (JsonNode entry : read(NATIVE.resolve("berth/reflect-config.json"))) {
            checked += load(entry.path("name").asText(), missing) != null ? 1 : 0;
        }
        for (JsonNode entry : read(NATIVE.resolve("berth/proxy-config.json"))) {
            for (JsonNode i : entry.path("interfaces")) {
                Class<?> c = load(i.asText(), missing);
                assertTrue(c == null || c.isInterface(), i + " is an interface");
            }
        }
        for (JsonNode entry : read(NATIVE.resolve("berth/jni-config.json"))) {
            Class<?> c = load(entry.path("name").asText(), missing);
            if (c == null) {
                continue;
            }
            for (JsonNode f : entry.path("fields")) {
                try {
                    c.getDeclaredField(f.path("name").asText());
                } catch (NoSuchFieldException e) {
                    missing.add(c.getName() + "." + f.path("name").asText());
                }
            }
            for (JsonNode m : entry.path("methods")) {
                if (member(c, m) == null) {
                    missing.add(c.getName() + "." + m.path("name").asText() + m.path("parameterTypes"));
                }
            }
        }
        assertEquals(List.of(), missing, "named in the native-image configuration but not on the class path");
        assertTrue(checked > 300, "libvirt-java's JNA structures and docker-java's model: " + checked);
        assertNotNull(getClass().getClassLoader().getResource("com/sun/jna/linux-x86-64/libjnidispatch.so"),
                "the resource quarkus.native.resources.includes names");
        // MinIO's model classes: checked once minio-java is on the class path (the storage feature brings it).
        JsonNode minio = read(NATIVE.resolve("berth-minio/reflect-config.json"));
        assertFalse(minio.isEmpty());
        if (exists("io.minio.MinioClient")) {
            var minioMissing = new ArrayList<String>();
            minio.forEach(e -> load(e.path("name").asText(), minioMissing));
            assertEquals(List.of(), minioMissing);
        }
    }

    static Executable member(Class<?> c, JsonNode m) throws ClassNotFoundException {
        var types = new ArrayList<Class<?>>();
        for (JsonNode t : m.path("parameterTypes")) {
            types.add(type(t.asText()));
        }
        try {
            return m.path("name").asText().equals("<init>") ? c.getDeclaredConstructor(types.toArray(Class[]::new))
                    : c.getDeclaredMethod(m.path("name").asText(), types.toArray(Class[]::new));
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    static final Map<String, Class<?>> PRIMITIVES = Map.of("boolean", boolean.class, "byte", byte.class, "char", char.class,
            "short", short.class, "int", int.class, "long", long.class, "float", float.class, "double", double.class);

    static Class<?> type(String name) throws ClassNotFoundException {
        if (name.endsWith("[]")) {
            return type(name.substring(0, name.length() - 2)).arrayType();
        }
        Class<?> p = PRIMITIVES.get(name);
        return p != null ? p : Class.forName(name, false, ImageFilesTest.class.getClassLoader());
    }

    static Class<?> load(String name, List<String> missing) {
        try {
            return Class.forName(name, false, ImageFilesTest.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            missing.add(name);
            return null;
        }
    }

    static boolean exists(String name) {
        return load(name, new ArrayList<>()) != null;
    }

    static JsonNode read(Path p) throws IOException {
        JsonNode node = JSON.readTree(p.toFile());
        assertTrue(node.isArray(), p + " is a JSON array");
        return node;
    }

    static String match(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(), regex);
        return m.group(1);
    }
}
