package dev.berth.demo;

import dev.berth.audit.Actor;
import dev.berth.audit.AuditEvent;
import dev.berth.audit.AuditLog;
import dev.berth.audit.Outcome;
import dev.berth.compute.DomainState;
import dev.berth.compute.DomainSummary;
import dev.berth.compute.Hypervisor;
import dev.berth.compute.HypervisorException;
import dev.berth.compute.MachineService;
import dev.berth.compute.PowerAction;
import dev.berth.hosts.Endpoint;
import dev.berth.hosts.HostInput;
import dev.berth.hosts.HostKind;
import dev.berth.hosts.HostService;
import dev.berth.hosts.HostView;
import dev.berth.tenancy.TenantService;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * A small cloud to try Berth with, in development mode only ({@code ./berth run}; {@code ./berth run --empty} or
 * {@code BERTH_DEMO=false} starts with nothing): the local Docker engine, the local libvirt, a libvirt test-driver
 * fleet of three hosts with a dozen domains in mixed states, one real (TCG) machine with a VNC display per demo
 * tenant, and machines assigned to acme and globex. Everything registered carries the label {@code demo=true},
 * and an administrator removes it like any other host or assignment.
 *
 * <p>Idempotent: each item is looked up by name first. Once a seeding has completed (audit event
 * {@code demo.seed}) it is not repeated on later starts, so what an administrator removed stays removed; the
 * test-driver host files are still rewritten, since the fleet hosts read them on every connection.
 */
@ApplicationScoped
public class DemoCloud {
    private static final Logger LOG = Logger.getLogger(DemoCloud.class);
    static final String ACTION = "demo.seed";
    static final String LABELS = "demo=true";
    static final List<String> TENANTS = List.of("acme", "globex");
    static final int FLEET_HOSTS = 3;
    private static final Duration CALL = Duration.ofSeconds(30); // a real define may make libvirtd probe QEMU first

    @ConfigProperty(name = "berth.development-mode", defaultValue = "false")
    boolean developmentMode;
    @Inject
    DemoConfig config;
    @Inject
    HostService hosts;
    @Inject
    TenantService tenants;
    @Inject
    MachineService machines;
    @Inject
    Hypervisor hypervisor;
    @Inject
    AuditLog audit;

    /** What one seeding did. */
    public record Seeded(boolean skipped, int hostsCreated, int domainsDefined, int domainsStarted, int assigned) {
    }

    void onStart(@Observes StartupEvent event) {
        String problem = problem(developmentMode, config.enabled());
        if (problem != null) {
            throw new IllegalStateException(problem);
        }
        if (!config.enabled()) {
            return;
        }
        // Off the start path: the portal answers at once, the demo hosts appear a moment later.
        Thread.ofVirtual().name("berth-demo-seed").start(() -> {
            try {
                Seeded done = seed();
                if (!done.skipped()) {
                    LOG.infof("Demo cloud: %d hosts registered, %d machines defined (%d started), %d assigned (label %s)",
                            done.hostsCreated(), done.domainsDefined(), done.domainsStarted(), done.assigned(), LABELS);
                }
            } catch (RuntimeException e) {
                LOG.warnf("Demo cloud: seeding failed, the portal runs without it: %s", e.toString());
            }
        });
    }

    /** What is wrong with these settings; null when nothing is. */
    static String problem(boolean developmentMode, boolean demo) {
        if (demo && !developmentMode) {
            return "berth.demo.enabled (BERTH_DEMO) registers demo hosts and machines: Berth refuses it outside"
                    + " development mode. Unset BERTH_DEMO.";
        }
        return null;
    }

    /** Seeds once per database; later calls only rewrite the fleet files. */
    public synchronized Seeded seed() {
        if (!developmentMode) {
            throw new IllegalStateException(problem(false, true));
        }
        writeFleetFiles();
        if (QuarkusTransaction.joiningExisting().call(() -> AuditEvent.count("action = ?1 and outcome = ?2", ACTION, Outcome.OK)) > 0) {
            return new Seeded(true, 0, 0, 0, 0);
        }
        Seeded done = apply();
        audit.record(actor().username(), null, ACTION, done.hostsCreated() + " hosts, " + done.assigned() + " assignments",
                Outcome.OK, null, null);
        return done;
    }

    /** Creates what is missing, by name; running it again changes nothing. */
    synchronized Seeded apply() {
        Actor actor = actor();
        tenants.ensureTenants(TENANTS);
        Map<String, HostView> byName = hosts.list().stream().collect(Collectors.toMap(HostView::name, Function.identity()));
        int created = 0;
        String p = config.hostPrefix();
        created += ensureHost(actor, byName, p + "docker", HostKind.DOCKER, config.dockerUri(), "127.0.0.1");
        created += ensureHost(actor, byName, p + "kvm", HostKind.KVM, config.libvirtUri(), null);
        for (int n = 1; n <= FLEET_HOSTS; n++) {
            created += ensureHost(actor, byName, p + "fleet-" + n, HostKind.KVM, "test://" + fleetFile(n).toAbsolutePath(), null);
        }
        HostView kvm = byName.get(p + "kvm");
        int defined = 0;
        int started = 0;
        int assigned = 0;
        var assignedNow = machines.discover().domains().stream()
                .filter(d -> d.assignmentId() != null).map(d -> d.hostId() + "/" + d.uuid()).collect(Collectors.toSet());
        for (int t = 0; t < TENANTS.size(); t++) {
            String tenant = TENANTS.get(t);
            var refs = new ArrayList<MachineService.DomainRef>();
            // acme gets fleet-1's four domains, globex fleet-2's; fleet-3 is left for an administrator to assign.
            HostView fleet = byName.get(p + "fleet-" + (t + 1));
            for (int i = 1; i <= 4; i++) {
                refs.add(new MachineService.DomainRef(fleet.id(), fleetUuid(t + 1, i)));
            }
            Optional<RealVm> real = realVm(kvm, tenant);
            if (real.isPresent()) {
                defined += real.get().defined() ? 1 : 0;
                started += real.get().started() ? 1 : 0;
                refs.add(new MachineService.DomainRef(kvm.id(), real.get().uuid()));
            }
            refs.removeIf(r -> assignedNow.contains(r.hostId() + "/" + r.uuid()));
            if (!refs.isEmpty()) {
                assigned += machines.assign(actor, tenant, refs).size();
            }
        }
        return new Seeded(false, created, defined, started, assigned);
    }

    private record RealVm(String uuid, boolean defined, boolean started) {
    }

    /** The tenant's real machine on the local libvirt, defined and started if it is not; empty without an image. */
    private Optional<RealVm> realVm(HostView kvm, String tenant) {
        if (config.kernel().isEmpty() || config.initrd().isEmpty()) {
            LOG.infof("Demo cloud: no real machine for %s (BERTH_DEMO_KERNEL / BERTH_DEMO_INITRD unset)", tenant);
            return Optional.empty();
        }
        Endpoint local = new Endpoint(kvm.uri(), null);
        String name = config.domainPrefix() + tenant;
        try {
            Optional<DomainSummary> found = find(local, name);
            boolean defined = false;
            if (found.isEmpty()) {
                hypervisor.define(local, realVmXml(name, config.kernel().get(), config.initrd().get()), CALL);
                found = find(local, name);
                defined = true;
            }
            DomainSummary d = found.orElseThrow(() -> new HypervisorException(name + " vanished after its definition"));
            boolean started = false;
            if (d.state() == DomainState.SHUTOFF) {
                hypervisor.act(local, d.uuid(), PowerAction.START, CALL);
                started = true;
            }
            return Optional.of(new RealVm(d.uuid(), defined, started));
        } catch (HypervisorException e) {
            LOG.warnf("Demo cloud: no real machine for %s on %s: %s", tenant, kvm.uri(), e.getMessage());
            return Optional.empty();
        }
    }

    private Optional<DomainSummary> find(Endpoint host, String name) throws HypervisorException {
        return hypervisor.listDomains(host, CALL).stream().filter(d -> d.name().equals(name)).findFirst();
    }

    /**
     * A TCG guest (the hardware KVM here does not boot a stock kernel) booting the launcher's busybox initramfs:
     * VNC on 127.0.0.1 only, and no network interface at all, so the guest reaches nothing.
     */
    static String realVmXml(String name, Path kernel, Path initrd) {
        return """
                <domain type='qemu'>
                  <name>%s</name>
                  <description>Berth demo machine (development mode)</description>
                  <memory unit='MiB'>128</memory>
                  <vcpu>1</vcpu>
                  <os>
                    <type arch='x86_64' machine='pc'>hvm</type>
                    <kernel>%s</kernel>
                    <initrd>%s</initrd>
                    <cmdline>console=tty0 console=ttyS0</cmdline>
                  </os>
                  <features><acpi/></features>
                  <on_poweroff>destroy</on_poweroff>
                  <on_reboot>restart</on_reboot>
                  <on_crash>destroy</on_crash>
                  <devices>
                    <serial type='pty'><target port='0'/></serial>
                    <console type='pty'><target type='serial' port='0'/></console>
                    <graphics type='vnc' listen='127.0.0.1' autoport='yes'/>
                    <video><model type='vga'/></video>
                  </devices>
                </domain>
                """.formatted(xmlText(name), xmlText(kernel.toAbsolutePath().toString()), xmlText(initrd.toAbsolutePath().toString()));
    }

    private static String xmlText(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&apos;");
    }

    private int ensureHost(Actor actor, Map<String, HostView> byName, String name, HostKind kind, String uri, String storage) {
        if (byName.containsKey(name)) {
            return 0;
        }
        byName.put(name, hosts.create(actor, new HostInput(name, kind.name(), uri, storage, LABELS, true, null, null, null)));
        return 1;
    }

    /** The UUIDs written in src/main/resources/demo/demo-fleet-N.xml. */
    static String fleetUuid(int host, int domain) {
        return "de300000-000" + host + "-4000-8000-00000000000" + domain;
    }

    Path fleetFile(int n) {
        return config.dir().resolve("demo-fleet-" + n + ".xml");
    }

    private void writeFleetFiles() {
        try {
            Files.createDirectories(config.dir());
            for (int n = 1; n <= FLEET_HOSTS; n++) {
                try (InputStream in = DemoCloud.class.getResourceAsStream("/demo/demo-fleet-" + n + ".xml")) {
                    if (in == null) {
                        throw new IOException("resource /demo/demo-fleet-" + n + ".xml is missing");
                    }
                    Path tmp = Files.createTempFile(config.dir(), "fleet", ".tmp");
                    Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                    Files.move(tmp, fleetFile(n), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the demo fleet files to " + config.dir(), e);
        }
    }

    private static Actor actor() {
        return Actor.system("demo");
    }
}
