package dev.berth.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Strict parsing of rendered manifests into the fabric8 Kubernetes model. fabric8 keeps fields it does not know
 * in {@code additionalProperties} instead of failing; this walks every parsed object and refuses any such field,
 * so a typo ({@code readinessprobe}, {@code limit}) or a field of another API version fails the check.
 */
final class Manifests {
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private Manifests() {
    }

    /** Every document of a multi-document YAML stream, as typed Kubernetes objects; fails on unknown kinds or fields. */
    static List<HasMetadata> parseStrictly(String yaml) {
        var objects = new ArrayList<HasMetadata>();
        try (var parser = YAML.getFactory().createParser(yaml)) {
            var docs = YAML.readValues(parser, JsonNode.class);
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if (doc == null || doc.isNull() || doc.isEmpty()) {
                    continue;
                }
                String where = doc.path("kind").asText("?") + "/" + doc.path("metadata").path("name").asText("?");
                HasMetadata o = SERIALIZATION.unmarshal(YAML.writeValueAsString(doc), HasMetadata.class);
                if (o == null || o instanceof GenericKubernetesResource) {
                    throw new AssertionError(where + ": not a known Kubernetes kind/apiVersion (" + doc.path("apiVersion").asText() + ")");
                }
                var unknown = new ArrayList<String>();
                unknownFields(o, where, unknown);
                if (!unknown.isEmpty()) {
                    throw new AssertionError("unknown fields: " + unknown);
                }
                objects.add(o);
            }
        } catch (IOException e) {
            throw new AssertionError("not YAML: " + e.getMessage(), e);
        }
        return objects;
    }

    /** Collects the path of every field the model did not recognise. */
    static void unknownFields(Object o, String path, List<String> unknown) {
        if (o == null || o instanceof String || o instanceof Number || o instanceof Boolean || o instanceof Enum<?>) {
            return;
        }
        if (o instanceof Map<?, ?> map) {
            map.forEach((k, v) -> unknownFields(v, path + "." + k, unknown));
            return;
        }
        if (o instanceof Collection<?> list) {
            int i = 0;
            for (Object item : list) {
                unknownFields(item, path + "[" + i++ + "]", unknown);
            }
            return;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers()) || m.getDeclaringClass() == Object.class
                    || !m.getName().startsWith("get")) {
                continue;
            }
            Object value;
            try {
                value = m.invoke(o);
            } catch (IllegalAccessException | InvocationTargetException e) {
                continue;
            }
            if (m.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    extra.keySet().forEach(k -> unknown.add(path + "." + k));
                }
                continue;
            }
            String field = Character.toLowerCase(m.getName().charAt(3)) + m.getName().substring(4);
            unknownFields(value, path + "." + field, unknown);
        }
    }
}
