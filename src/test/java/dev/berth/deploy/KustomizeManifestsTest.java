package dev.berth.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Tag;
import dev.berth.support.DatabasePass;

/**
 * Every kustomize overlay under k8s/ builds with the pinned kustomize (installed by ./berth, BERTH_KUSTOMIZE_BIN),
 * parses strictly into the Kubernetes model, and obeys the deployment rules: probes, requests and limits, non-root,
 * read-only root filesystem, native access for libvirt's JNA, no secret values in clear, replicas, NetworkPolicy,
 * PodDisruptionBudget, and (prod) an autoscaler and TLS.
 */
@Tag(DatabasePass.INDEPENDENT)
class KustomizeManifestsTest {
    static final Path K8S = Path.of("k8s");
    /** Names that hold credentials: they may only come from a Secret, never as a literal value. */
    static final Pattern SECRET_NAME = Pattern.compile("(?i).*(SECRET|PASSWORD|PASSWD|TOKEN|_KEY|CREDENTIAL).*");
    static final Pattern PLACEHOLDER = Pattern.compile("<REPLACE: [^>]+>");

    @Test
    void everyOverlayIsChecked() throws IOException {
        try (Stream<Path> dirs = Files.list(K8S.resolve("overlays"))) {
            assertEquals(List.of("dev", "prod"), dirs.map(p -> p.getFileName().toString()).sorted().toList(),
                    "a new overlay must be added to the parameterized tests below");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void overlayObeysTheRules(String overlay) {
        List<HasMetadata> objects = Manifests.parseStrictly(kustomizeBuild(K8S.resolve("overlays").resolve(overlay)));
        String ns = overlay.equals("prod") ? "berth" : "berth-dev";
        objects.forEach(o -> assertEquals(ns, o.getMetadata().getNamespace(), name(o) + " namespace"));

        Deployment berth = one(objects, Deployment.class, "berth");
        int replicas = berth.getSpec().getReplicas();
        if (overlay.equals("dev")) {
            assertEquals(1, replicas, "dev runs one replica");
            assertTrue(find(objects, HorizontalPodAutoscaler.class).isEmpty(), "no autoscaler on one replica");
            StatefulSet pg = one(objects, StatefulSet.class, "berth-postgres");
            checkPod(name(pg), pg.getSpec().getTemplate(), objects);
            assertTrue(config(objects).get("BERTH_DB_URL").contains("//berth-postgres:5432/"), "dev uses its own PostgreSQL");
        } else {
            assertTrue(replicas >= 2, "prod runs at least two replicas, not " + replicas);
            HorizontalPodAutoscaler hpa = one(objects, HorizontalPodAutoscaler.class, "berth");
            assertEquals("Deployment", hpa.getSpec().getScaleTargetRef().getKind());
            assertEquals("berth", hpa.getSpec().getScaleTargetRef().getName());
            assertTrue(hpa.getSpec().getMinReplicas() >= 2, "the autoscaler keeps two replicas");
            assertTrue(find(objects, StatefulSet.class).isEmpty(), "prod uses an external PostgreSQL");
            String db = config(objects).get("BERTH_DB_URL");
            assertTrue(db.startsWith("jdbc:postgresql://") && !db.contains("berth-postgres"), db);
            Ingress ingress = one(objects, Ingress.class, "berth");
            assertFalse(ingress.getSpec().getTls().isEmpty(), "prod ingress terminates TLS");
            assertNotNull(ingress.getSpec().getTls().get(0).getSecretName());
        }
        assertTrue(config(objects).get("QUARKUS_PROFILE").contains("postgresql"), "the image is built for PostgreSQL");

        PodTemplateSpec template = berth.getSpec().getTemplate();
        checkPod("berth", template, objects);
        assertEquals(berth.getSpec().getSelector().getMatchLabels(),
                subset(template.getMetadata().getLabels(), berth.getSpec().getSelector().getMatchLabels()));
        Container c = template.getSpec().getContainers().get(0);
        assertEquals("/q/health/started", c.getStartupProbe().getHttpGet().getPath());
        assertEquals("/q/health/ready", c.getReadinessProbe().getHttpGet().getPath());
        assertEquals("/q/health/live", c.getLivenessProbe().getHttpGet().getPath());
        assertTrue(env(c, "JAVA_OPTS").contains("--enable-native-access=ALL-UNNAMED"), "libvirt's JNA needs native access");
        checkTmp("berth", c, template.getSpec());
        assertTrue(c.getEnvFrom().stream().anyMatch(e -> e.getSecretRef() != null && "berth-secrets".equals(e.getSecretRef().getName())));

        String sa = template.getSpec().getServiceAccountName();
        assertNotNull(one(objects, ServiceAccount.class, sa));

        Service svc = one(objects, Service.class, "berth");
        assertEquals(svc.getSpec().getSelector(), subset(template.getMetadata().getLabels(), svc.getSpec().getSelector()),
                "the Service selects the portal's pods");
        for (Ingress ing : find(objects, Ingress.class)) {
            ing.getSpec().getRules().forEach(r -> r.getHttp().getPaths().forEach(p -> {
                var backend = p.getBackend().getService();
                Service target = one(objects, Service.class, backend.getName());
                assertTrue(target.getSpec().getPorts().stream().anyMatch(port -> Objects.equals(port.getName(), backend.getPort().getName())
                        || Objects.equals(port.getPort(), backend.getPort().getNumber())), "ingress port exists on " + backend.getName());
            }));
        }

        PodDisruptionBudget pdb = one(objects, PodDisruptionBudget.class, "berth");
        assertEquals(berth.getSpec().getSelector().getMatchLabels(), pdb.getSpec().getSelector().getMatchLabels());
        if (replicas == 1) {
            assertNotNull(pdb.getSpec().getMaxUnavailable(), "one replica: the budget must still allow a drain");
        }

        checkNetworkPolicy(one(objects, NetworkPolicy.class, "berth"), template);
        checkNoSecretsInClear(objects);
    }

    @Test
    void secretTemplateHoldsPlaceholdersOnly() throws IOException {
        List<HasMetadata> objects = Manifests.parseStrictly(Files.readString(K8S.resolve("base/secret.template.yaml")));
        Secret s = one(objects, Secret.class, "berth-secrets");
        assertEquals(List.of("BERTH_DB_PASSWORD", "BERTH_DB_USER", "BERTH_OIDC_SECRET", "BERTH_SECRETS_KEY", "BERTH_SESSION_SECRET"),
                s.getStringData().keySet().stream().sorted().toList());
        s.getStringData().forEach((k, v) -> assertTrue(PLACEHOLDER.matcher(v).matches(), k + " must be a placeholder"));
        assertTrue(s.getData() == null || s.getData().isEmpty(), "no base64 data in the template");
        // And the base does not render it: applying an overlay never overwrites the operator's real Secret.
        assertTrue(find(Manifests.parseStrictly(kustomizeBuild(K8S.resolve("base"))), Secret.class).isEmpty());
    }

    /** The checks themselves can fail: a typo, a missing probe and a literal password are all caught. */
    @Test
    void theChecksRejectBrokenManifests() throws IOException {
        String good = Files.readString(K8S.resolve("base/deployment.yaml"));
        AssertionError typo = assertThrows(AssertionError.class,
                () -> Manifests.parseStrictly(good.replace("readinessProbe:", "readinessprobe:")));
        assertTrue(typo.getMessage().contains("readinessprobe"), typo.getMessage());
        assertThrows(AssertionError.class, () -> Manifests.parseStrictly("apiVersion: example.org/v1\nkind: Gadget\nmetadata: {name: x}\n"));

        Deployment noProbe = (Deployment) Manifests.parseStrictly(good).get(0);
        noProbe.getSpec().getTemplate().getSpec().getContainers().get(0).setLivenessProbe(null);
        assertThrows(AssertionError.class, () -> checkPod("berth", noProbe.getSpec().getTemplate(), List.of()));

        Deployment literal = (Deployment) Manifests.parseStrictly(good).get(0);
        literal.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().add(new EnvVar("BERTH_DB_PASSWORD", "hunter2", null));
        assertThrows(AssertionError.class, () -> checkNoSecretsInClear(List.of(literal)));

        // Each broken rule alone is caught, and by its own check (the message names it).
        Map<String, java.util.function.Consumer<PodSpec>> breaks = new java.util.LinkedHashMap<>();
        breaks.put("runAsUser", p -> p.getSecurityContext().setRunAsUser(0L));
        breaks.put("automountServiceAccountToken", p -> p.setAutomountServiceAccountToken(null));
        breaks.put("automountServiceAccountToken: true", p -> p.setAutomountServiceAccountToken(true));
        breaks.put("allowPrivilegeEscalation", p -> p.getContainers().get(0).getSecurityContext().setAllowPrivilegeEscalation(true));
        breaks.put("readOnlyRootFilesystem", p -> p.getContainers().get(0).getSecurityContext().setReadOnlyRootFilesystem(null));
        breaks.put("drops all capabilities", p -> p.getContainers().get(0).getSecurityContext().getCapabilities().setDrop(List.of("NET_RAW")));
        breaks.put("privileged", p -> p.getContainers().get(0).getSecurityContext().setPrivileged(true));
        breaks.put("limit memory", p -> p.getContainers().get(0).getResources().getLimits().remove("memory"));
        breaks.put("request cpu", p -> p.getContainers().get(0).getResources().getRequests().remove("cpu"));
        breaks.put("readiness probe", p -> p.getContainers().get(0).setReadinessProbe(null));
        breaks.put("runAsNonRoot", p -> {
            p.getSecurityContext().setRunAsNonRoot(false);
            if (p.getContainers().get(0).getSecurityContext().getRunAsNonRoot() != null) {
                p.getContainers().get(0).getSecurityContext().setRunAsNonRoot(false);
            }
        });
        breaks.forEach((rule, breakIt) -> {
            Deployment broken = (Deployment) Manifests.parseStrictly(good).get(0);
            breakIt.accept(broken.getSpec().getTemplate().getSpec());
            AssertionError e = assertThrows(AssertionError.class, () -> checkPod("berth", broken.getSpec().getTemplate(), List.of()), rule);
            assertTrue(e.getMessage().contains(rule.replace(": true", "")), rule + " caught by another check: " + e.getMessage());
        });
        checkPod("berth", ((Deployment) Manifests.parseStrictly(good).get(0)).getSpec().getTemplate(), List.of()); // unbroken: passes

        // /tmp: mounted from a volume that is not an emptyDir, or from none
        Map<String, java.util.function.Consumer<PodSpec>> tmpBreaks = new java.util.LinkedHashMap<>();
        tmpBreaks.put("/tmp is an emptyDir", p -> {
            var v = p.getVolumes().stream().filter(x -> x.getEmptyDir() != null).findFirst().orElseThrow();
            v.setEmptyDir(null);
            v.setHostPath(new io.fabric8.kubernetes.api.model.HostPathVolumeSource("/tmp", "Directory"));
            p.getVolumes().add(new io.fabric8.kubernetes.api.model.VolumeBuilder().withName("other").withNewEmptyDir().endEmptyDir().build());
        });
        tmpBreaks.put("exists", p -> p.getContainers().get(0).getVolumeMounts().stream()
                .filter(m -> m.getMountPath().equals("/tmp")).forEach(m -> m.setName("no-such-volume")));
        tmpBreaks.put("a writable /tmp", p -> p.getContainers().get(0).getVolumeMounts().removeIf(m -> m.getMountPath().equals("/tmp")));
        tmpBreaks.put("/tmp is writable", p -> p.getContainers().get(0).getVolumeMounts().stream()
                .filter(m -> m.getMountPath().equals("/tmp")).forEach(m -> m.setReadOnly(true)));
        tmpBreaks.forEach((rule, breakIt) -> {
            Deployment broken = (Deployment) Manifests.parseStrictly(good).get(0);
            PodSpec p = broken.getSpec().getTemplate().getSpec();
            breakIt.accept(p);
            AssertionError e = assertThrows(AssertionError.class, () -> checkTmp("berth", p.getContainers().get(0), p), rule);
            assertTrue(e.getMessage().contains(rule), rule + " caught by another check: " + e.getMessage());
        });
    }

    // --- rules ------------------------------------------------------------------------------------------------

    /** Every container: readiness and liveness probes, CPU and memory requests and limits, non-root, no escalation, read-only root. */
    static void checkPod(String owner, PodTemplateSpec template, List<HasMetadata> objects) {
        PodSpec pod = template.getSpec();
        // absent means "as the ServiceAccount says", and Kubernetes' default there is to mount the token
        assertEquals(Boolean.FALSE, pod.getAutomountServiceAccountToken(), owner + ": automountServiceAccountToken: false");
        var podSec = pod.getSecurityContext();
        for (Container c : pod.getContainers()) {
            String where = owner + "/" + c.getName();
            assertProbe(where + " readiness", c.getReadinessProbe());
            assertProbe(where + " liveness", c.getLivenessProbe());
            var res = c.getResources();
            assertNotNull(res, where + ": resources");
            for (String r : List.of("cpu", "memory")) {
                assertNotNull(res.getRequests() == null ? null : res.getRequests().get(r), where + ": request " + r);
                assertNotNull(res.getLimits() == null ? null : res.getLimits().get(r), where + ": limit " + r);
            }
            var sec = c.getSecurityContext();
            Boolean nonRoot = sec != null && sec.getRunAsNonRoot() != null ? sec.getRunAsNonRoot() : podSec == null ? null : podSec.getRunAsNonRoot();
            Long uid = sec != null && sec.getRunAsUser() != null ? sec.getRunAsUser() : podSec == null ? null : podSec.getRunAsUser();
            assertEquals(Boolean.TRUE, nonRoot, where + ": runAsNonRoot");
            assertTrue(uid != null && uid != 0, where + ": a non-zero runAsUser");
            assertNotNull(sec, where + ": container securityContext");
            assertEquals(Boolean.FALSE, sec.getAllowPrivilegeEscalation(), where + ": allowPrivilegeEscalation");
            assertEquals(Boolean.TRUE, sec.getReadOnlyRootFilesystem(), where + ": readOnlyRootFilesystem");
            assertTrue(sec.getCapabilities() != null && sec.getCapabilities().getDrop().contains("ALL"), where + ": drops all capabilities");
            assertFalse(Boolean.TRUE.equals(sec.getPrivileged()), where + ": privileged");
        }
    }

    /** A writable /tmp on a read-only root: the volume mounted there is an emptyDir (not any emptyDir of the pod). */
    static void checkTmp(String owner, Container c, PodSpec pod) {
        var tmp = c.getVolumeMounts().stream().filter(m -> m.getMountPath().equals("/tmp")).findFirst();
        assertTrue(tmp.isPresent(), owner + ": a writable /tmp");
        assertFalse(Boolean.TRUE.equals(tmp.get().getReadOnly()), owner + ": /tmp is writable");
        var volume = pod.getVolumes().stream().filter(v -> v.getName().equals(tmp.get().getName())).findFirst();
        assertTrue(volume.isPresent(), owner + ": /tmp's volume " + tmp.get().getName() + " exists");
        assertNotNull(volume.get().getEmptyDir(), owner + ": /tmp is an emptyDir");
    }

    static void assertProbe(String what, Probe p) {
        assertNotNull(p, what + " probe");
        assertTrue(p.getHttpGet() != null || p.getExec() != null || p.getTcpSocket() != null, what + " probe has a handler");
    }

    static void checkNetworkPolicy(NetworkPolicy np, PodTemplateSpec portal) {
        assertEquals(np.getSpec().getPodSelector().getMatchLabels(), subset(portal.getMetadata().getLabels(), np.getSpec().getPodSelector().getMatchLabels()),
                "the policy selects the portal's pods");
        assertEquals(List.of("Egress", "Ingress"), np.getSpec().getPolicyTypes().stream().sorted().toList());
        assertEquals(1, np.getSpec().getIngress().size(), "one ingress rule");
        var from = np.getSpec().getIngress().get(0).getFrom();
        assertEquals(1, from.size());
        assertNotNull(from.get(0).getNamespaceSelector(), "ingress only from the ingress controller's namespace");
        assertTrue(from.get(0).getIpBlock() == null && from.get(0).getPodSelector() == null);
        var egressPorts = new ArrayList<Integer>();
        np.getSpec().getEgress().forEach(e -> {
            assertFalse(e.getTo() == null || e.getTo().isEmpty(), "every egress rule names its destination");
            assertFalse(e.getPorts() == null || e.getPorts().isEmpty(), "every egress rule names its ports");
            e.getTo().forEach(t -> {
                if (t.getIpBlock() != null) {
                    assertFalse(t.getIpBlock().getCidr().endsWith("/0"), "no egress to everywhere");
                }
            });
            for (NetworkPolicyPort p : e.getPorts()) {
                egressPorts.add(p.getPort().getIntVal());
            }
        });
        for (int port : List.of(53, 5432, 443, 16514, 2376, 9000)) {
            assertTrue(egressPorts.contains(port), "egress to port " + port + " (DNS, PostgreSQL, OIDC, libvirt, Docker, MinIO)");
        }
    }

    static void checkNoSecretsInClear(List<HasMetadata> objects) {
        for (HasMetadata o : objects) {
            if (o instanceof Secret s) {
                fail(name(s) + ": a Secret with values must not be rendered from the repository");
            }
            if (o instanceof ConfigMap cm && cm.getData() != null) {
                cm.getData().keySet().forEach(k -> assertFalse(SECRET_NAME.matcher(k).matches(), name(cm) + " holds " + k));
            }
            PodTemplateSpec t = o instanceof Deployment d ? d.getSpec().getTemplate() : o instanceof StatefulSet s ? s.getSpec().getTemplate() : null;
            if (t != null) {
                for (Container c : t.getSpec().getContainers()) {
                    for (EnvVar e : c.getEnv() == null ? List.<EnvVar>of() : c.getEnv()) {
                        if (SECRET_NAME.matcher(e.getName()).matches()) {
                            assertTrue(e.getValue() == null && e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null,
                                    name(o) + "/" + c.getName() + ": " + e.getName() + " must come from a Secret");
                        }
                    }
                }
            }
        }
    }

    // --- helpers ----------------------------------------------------------------------------------------------

    static String kustomizeBuild(Path dir) {
        String bin = System.getenv("BERTH_KUSTOMIZE_BIN");
        if (bin == null || !Files.isExecutable(Path.of(bin))) {
            fail("kustomize not found (BERTH_KUSTOMIZE_BIN=" + bin + "): ./berth stack installs it; eval \"$(./berth env)\" exports it");
        }
        try {
            Path out = Files.createTempFile("kustomize", ".yaml");
            Path err = Files.createTempFile("kustomize", ".err");
            Process p = new ProcessBuilder(bin, "build", dir.toString()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("kustomize build " + dir + " did not finish");
            }
            String yaml = Files.readString(out, StandardCharsets.UTF_8);
            String error = Files.readString(err);
            Files.delete(out);
            Files.delete(err);
            assertEquals(0, p.exitValue(), "kustomize build " + dir + ": " + error);
            return yaml;
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static <T extends HasMetadata> List<T> find(List<HasMetadata> objects, Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    static <T extends HasMetadata> T one(List<HasMetadata> objects, Class<T> type, String name) {
        List<T> found = find(objects, type).stream().filter(o -> o.getMetadata().getName().equals(name)).toList();
        assertEquals(1, found.size(), type.getSimpleName() + " " + name);
        return found.get(0);
    }

    static Map<String, String> config(List<HasMetadata> objects) {
        List<ConfigMap> maps = find(objects, ConfigMap.class).stream().filter(c -> c.getMetadata().getName().startsWith("berth-config")).toList();
        assertEquals(1, maps.size(), "one berth-config");
        return maps.get(0).getData();
    }

    static String env(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).map(EnvVar::getValue).findFirst().orElse("");
    }

    static Map<String, String> subset(Map<String, String> labels, Map<String, String> wanted) {
        var out = new java.util.TreeMap<String, String>();
        wanted.keySet().forEach(k -> {
            if (labels.containsKey(k)) {
                out.put(k, labels.get(k));
            }
        });
        return out.equals(new java.util.TreeMap<>(wanted)) ? wanted : out;
    }

    static String name(HasMetadata o) {
        return o.getKind() + "/" + o.getMetadata().getName();
    }
}
