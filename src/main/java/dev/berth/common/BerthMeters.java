package dev.berth.common;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * Berth's own meters, exported at {@code /q/metrics} (Prometheus names in brackets). Static, on Micrometer's global
 * registry (Quarkus adds its Prometheus registry there), so adapters built with {@code new} in unit tests record too.
 *
 * <ul>
 * <li>{@link #BACKEND_CALL} [{@code berth_backend_call_seconds}] latency of calls to libvirt, Docker and MinIO;
 *     tags {@code backend} (libvirt|docker|minio), {@code operation}, {@code outcome} (ok|error). See {@link BackendCalls}.</li>
 * <li>{@link #HOST_PROBE} [{@code berth_host_probe_seconds}] each host probe; tags {@code kind}, {@code outcome} (up|down).</li>
 * <li>{@link #HOST_UP} [{@code berth_host_up}] 1/0 per host from its last probe; {@link #HOST_PROBE_LATENCY}
 *     [{@code berth_host_probe_latency_seconds}]; tags {@code host}, {@code kind}. Every replica publishes them from the database.</li>
 * <li>{@link #DENIED} [{@code berth_requests_denied_total}] refused attempts (every DENIED audit event); tag {@code action}.</li>
 * <li>{@link #RECONCILE} [{@code berth_reconcile_loops_total}] reconcile rounds; tags {@code loop} (e.g. storage),
 *     {@code outcome} (ok|error). Call {@link #reconciled}.</li>
 * <li>{@link #PROVISIONING} [{@code berth_provisioning_seconds}] provisioning of a storage instance, start to running
 *     or failure; tags {@code outcome} (ok|error). Call {@link #provisioned}.</li>
 * <li>{@link #CONSOLE_TICKETS_REFUSED} [{@code berth_console_tickets_refused_total}] every refused console ticket, audited
 *     or not; tags {@code reason} (missing|unknown|other_user|other_machine|used|expired), {@code audited} (true|false,
 *     false beyond the audit bound). Call {@link #consoleTicketRefused}.</li>
 * <li>{@link #LEASE_HELD} [{@code berth_lease_held}] 1 while this replica holds a lease; tag {@code lease}. See {@link Leases}.</li>
 * <li>{@link #VM_CREATE_STEP} [{@code berth_vm_create_step_seconds}] each step of creating a machine (placement,
 *     reservation, overlay, key, seed, define, start …); tag {@code step}. Where a creation's time goes.</li>
 * </ul>
 */
public final class BerthMeters {
    public static final String BACKEND_CALL = "berth.backend.call";
    public static final String HOST_PROBE = "berth.host.probe";
    public static final String HOST_UP = "berth.host.up";
    public static final String HOST_PROBE_LATENCY = "berth.host.probe.latency";
    public static final String DENIED = "berth.requests.denied";
    public static final String RECONCILE = "berth.reconcile.loops";
    public static final String PROVISIONING = "berth.provisioning";
    public static final String LEASE_HELD = "berth.lease.held";
    public static final String CONSOLE_TICKETS_REFUSED = "berth.console.tickets.refused";
    public static final String VM_CREATE_STEP = "berth.vm.create.step";

    /** Latency buckets from a fast local call to the longest timeouts Berth allows. */
    static final Duration[] BUCKETS = {Duration.ofMillis(5), Duration.ofMillis(25), Duration.ofMillis(100), Duration.ofMillis(250),
        Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
        Duration.ofSeconds(30), Duration.ofSeconds(60)};

    private BerthMeters() {
    }

    public static MeterRegistry registry() {
        return Metrics.globalRegistry;
    }

    public static Timer timer(String name, String description, String... tags) {
        return Timer.builder(name).description(description).tags(tags).serviceLevelObjectives(BUCKETS).register(registry());
    }

    /** A storage (or other) reconcile round ended: ok, or with an error. */
    public static void reconciled(String loop, boolean ok) {
        Counter.builder(RECONCILE).description("Reconcile rounds").tags("loop", loop, "outcome", ok ? "ok" : "error")
                .register(registry()).increment();
    }

    /** A provisioning finished (running, or given up), after {@code took}. */
    public static void provisioned(Duration took, boolean ok) {
        timer(PROVISIONING, "Provisioning of storage instances", "outcome", ok ? "ok" : "error").record(took);
    }

    /** One step of creating a machine took {@code nanos}. */
    public static void vmCreateStep(String step, long nanos) {
        timer(VM_CREATE_STEP, "Steps of creating a machine", "step", step).record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /** A refused attempt (403, or 404 for another tenant's resource). */
    public static void denied(String action) {
        Counter.builder(DENIED).description("Refused attempts (audited as DENIED)").tags("action", action == null ? "unknown" : action)
                .register(registry()).increment();
    }

    /** A console ticket was refused ({@code reason}: a fixed word), and written to the audit log or not. */
    public static void consoleTicketRefused(String reason, boolean audited) {
        Counter.builder(CONSOLE_TICKETS_REFUSED).description("Refused console tickets (audited up to a bound)")
                .tags("reason", reason, "audited", String.valueOf(audited)).register(registry()).increment();
    }
}
