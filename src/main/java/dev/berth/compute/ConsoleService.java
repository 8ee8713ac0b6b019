package dev.berth.compute;

import dev.berth.audit.Actor;
import dev.berth.audit.AuditLog;
import dev.berth.audit.Outcome;
import dev.berth.common.BerthMeters;
import dev.berth.common.ConflictException;
import dev.berth.hosts.Endpoint;
import dev.berth.hosts.HostService;
import dev.berth.tenancy.TenantService;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.scheduler.Scheduled;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

/**
 * Machine consoles: tickets and what a proxied console session needs.
 *
 * <p>A ticket is 256 random bits (base64url), handed out once and stored only as its SHA-256. It is bound to the
 * user who asked, the machine's tenant and the machine, and must be redeemed within {@code berth.console.ticket-ttl}.
 * Redeeming is a conditional UPDATE ({@code used_at is null and expires_at > now}) whose row count says whether this
 * request won: single use holds across replicas sharing the database. Every refusal is counted in
 * {@code berth_console_tickets_refused_total} and audited with its reason, up to a bound per source address and minute
 * ({@link RefusalAuditBudget}): anyone may present junk, and junk must not grow the audit table without bound.
 *
 * <p>A redeemed ticket names where the proxy connects: the machine's own host and a console port only
 * ({@link ConsoleRules#target}); the proxy then relays nothing until the server there greets as a VNC server.
 */
@ApplicationScoped
public class ConsoleService {
    private static final Logger LOG = Logger.getLogger(ConsoleService.class);
    /** Where the console WebSocket lives; the machine's id follows. */
    public static final String WEBSOCKET_PATH = "/console/ws/";
    private static final int TICKET_BYTES = 32;
    private static final Duration KEEP = Duration.ofHours(1);

    @Inject
    MachineService machines;
    @Inject
    Hypervisor hypervisor;
    @Inject
    HostService hosts;
    @Inject
    TenantService tenants;
    @Inject
    AuditLog audit;
    @Inject
    ComputeConfig compute;
    @Inject
    ConsoleConfig config;

    private final SecureRandom random = new SecureRandom();
    private ConsoleRules.PortPolicy ports;
    private RefusalAuditBudget refusalAudits;
    private volatile Clock clock = Clock.systemUTC();

    /**
     * Reads the console ports once, so a wrong {@code berth.console.excluded-ports} stops the start with its reason.
     * Besides the configured exclusions: the portal's own HTTP ports (a domain on the portal's host must not point
     * the console at the portal) and the storage port range (tenants' MinIO instances, on the same machine in
     * single-machine mode).
     */
    @PostConstruct
    void init() {
        var all = ConfigProvider.getConfig();
        List<ConsoleRules.PortRange> always = new ArrayList<>();
        List<String> own = LaunchMode.current() == LaunchMode.TEST
                ? List.of("quarkus.http.test-port", "quarkus.http.test-ssl-port", "quarkus.http.port", "quarkus.http.ssl-port")
                : List.of("quarkus.http.port", "quarkus.http.ssl-port");
        for (String property : own) {
            all.getOptionalValue(property, Integer.class).filter(p -> p > 0 && p <= 65535)
                    .ifPresent(p -> always.add(new ConsoleRules.PortRange(p, p)));
        }
        var storageMin = all.getOptionalValue("berth.storage.port-min", Integer.class);
        var storageMax = all.getOptionalValue("berth.storage.port-max", Integer.class);
        if (storageMin.isPresent() && storageMax.isPresent() && storageMin.get() >= 1 && storageMin.get() <= storageMax.get()
                && storageMax.get() <= 65535) {
            always.add(new ConsoleRules.PortRange(storageMin.get(), storageMax.get()));
        }
        ports = new ConsoleRules.PortPolicy(config.portMin(), config.portMax(), ConsoleRules.ports(config.excludedPorts()))
                .excluding(always);
        refusalAudits = new RefusalAuditBudget(config.auditRefusalsPerAddress(), config.auditRefusalsTotal());
        LOG.debugf("console ports %s; refused tickets audited up to %d per address and %d in all per minute", ports,
                config.auditRefusalsPerAddress(), config.auditRefusalsTotal());
    }

    /** Tests: a fixed clock keeps the audit bound's window from turning over under a test; null restores the real one. */
    void useClock(Clock fixed) {
        clock = fixed == null ? Clock.systemUTC() : fixed;
    }

    /** Tests: forgets the refusals audited in the current window. */
    void resetRefusalAudits() {
        refusalAudits.reset();
    }

    /** @param websocketPath where to open the WebSocket, with the ticket as query parameter {@code ticket} */
    public record Issued(String ticket, String websocketPath, Instant expiresAt) {
    }

    /** A machine and, when its console cannot be opened now, why. */
    public record Availability(MachineView machine, String unavailable) {
        public boolean available() {
            return unavailable == null;
        }
    }

    /** A redeemed ticket: who opens which machine's console, and where its VNC server is. */
    public record Session(String username, String tenant, long machineId, String machineName, Endpoint host, String uuid,
                          ConsoleRules.Target target, String requestId) {
    }

    /** A console that is not opened, with the WebSocket close code and a message short enough for its frame. */
    public static final class Refused extends Exception {
        public final short code;

        Refused(int code, String message) {
            super(message);
            this.code = (short) code;
        }
    }

    // Close codes (4000-4999 are the application's): the page words its message by them.
    public static final int CLOSE_REFUSED = 4403;
    public static final int CLOSE_NO_MACHINE = 4404;
    public static final int CLOSE_UNAVAILABLE = 4409;
    public static final int CLOSE_UNREACHABLE = 4502;

    // ------------------------------------------------------------------ availability and tickets

    public Availability availability(String tenantSlug, long id) {
        return availability(machines.owned(tenantSlug, id));
    }

    public Availability availabilityAsAdmin(long id) {
        return availability(machines.assignment(id));
    }

    /** A ticket for one of the tenant's machines; another tenant's id is a 404 like an unknown one (and audited). */
    public Issued issue(Actor actor, String tenantSlug, long id) {
        return issue(actor, machines.owned(tenantSlug, id));
    }

    /** A ticket for any assigned machine, for an administrator. */
    public Issued issueAsAdmin(Actor actor, long id) {
        return issue(actor, machines.assignment(id));
    }

    private Availability availability(VmAssignment a) {
        return look(a).availability();
    }

    /** The machine's state and, while it runs, its graphics device. */
    private record Look(Availability availability, DomainDetail.Graphics graphics) {
    }

    private Look look(VmAssignment a) {
        MachineView view = machines.view(a);
        if (!view.missing() && view.state().active()) {
            try {
                DomainDetail d = hypervisor.describe(hosts.endpoint(a.hostId), a.domainUuid, compute.callTimeout());
                return new Look(new Availability(view, ConsoleRules.unavailable(view, d.graphics()).orElse(null)), d.graphics());
            } catch (HypervisorException e) {
                return new Look(new Availability(view, "The host could not describe " + view.name() + ": " + e.getMessage()), null);
            }
        }
        return new Look(new Availability(view, ConsoleRules.unavailable(view, null).orElse(null)), null);
    }

    private Issued issue(Actor actor, VmAssignment a) {
        String tenant = tenants.slugOf(a.tenantId);
        Availability now = availability(a);
        if (!now.available()) {
            audit.record(actor.username(), tenant, "console.ticket", a.name, Outcome.FAILED, now.unavailable(), actor.requestId());
            throw new ConflictException(now.unavailable());
        }
        byte[] raw = new byte[TICKET_BYTES];
        random.nextBytes(raw);
        String ticket = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        Instant created = Instant.now();
        Instant expires = created.plus(config.ticketTtl());
        QuarkusTransaction.requiringNew().run(() -> {
            var t = new ConsoleTicket();
            t.ticketHash = hash(ticket);
            t.username = actor.username();
            t.tenant = tenant;
            t.machineId = a.id;
            t.machineName = a.name;
            t.createdAt = created;
            t.expiresAt = expires;
            t.persist();
        });
        audit.record(actor.username(), tenant, "console.ticket", a.name, Outcome.OK, "expires " + expires, actor.requestId());
        return new Issued(ticket, WEBSOCKET_PATH + a.id, expires);
    }

    // ------------------------------------------------------------------ redeeming (blocking: call off the event loop)

    /**
     * Redeems a ticket for a machine's console, or says why not (audited; refused tickets up to the bound per source).
     * Blocks: database and libvirt.
     *
     * @param presenter the user signed in on the WebSocket request, or null when only the ticket authenticates it
     * @param source    the client's address, which the audit bound for refused tickets counts by
     */
    public Session redeem(String presented, long machineId, String presenter, String requestId, String source) throws Refused {
        Instant now = Instant.now();
        ConsoleTicket stored = presented == null || presented.isBlank() ? null
                : QuarkusTransaction.requiringNew().call(() -> ConsoleTicket.<ConsoleTicket>find("ticketHash", hash(presented.trim())).firstResult());
        ConsoleRules.Ticket facts = stored == null ? null
                : new ConsoleRules.Ticket(stored.username, stored.machineId, stored.expiresAt, stored.usedAt);
        Optional<ConsoleRules.Refusal> refusal = ConsoleRules.refusal(presented, facts, machineId, presenter, now);
        if (refusal.isEmpty() && !claim(stored.id, now)) {
            refusal = Optional.of(ConsoleRules.Refusal.USED); // another request (maybe on another replica) won the race
        }
        if (refusal.isPresent()) {
            ConsoleRules.Refusal r = refusal.get();
            if (r == ConsoleRules.Refusal.OTHER_USER || r == ConsoleRules.Refusal.OTHER_MACHINE) {
                burn(stored.id, now); // a ticket that turned up in the wrong hands is void for its owner too
            }
            String actor = presenter != null ? presenter : "anonymous";
            RefusalAuditBudget.Decision budget = refusalAudits.take(source, clock.instant());
            BerthMeters.consoleTicketRefused(r.name().toLowerCase(Locale.ROOT), budget.audit());
            if (budget.audit()) {
                String reason = r.message + (stored == null ? "" : " Ticket of " + stored.username + " for machine "
                        + stored.machineId + " (" + stored.machineName + ").");
                audit.record(actor, stored == null ? null : stored.tenant, "console.open", "machine " + machineId,
                        Outcome.DENIED, reason, requestId);
            } else if ("address".equals(budget.overBound())) {
                LOG.warnf("refused console tickets from %s are over the audit bound of %d per address and minute: the rest"
                        + " of this minute's are counted in berth_console_tickets_refused_total only",
                        RefusalAuditBudget.key(source), config.auditRefusalsPerAddress());
            } else if ("total".equals(budget.overBound())) {
                LOG.warnf("refused console tickets are over the audit bound of %d per minute in all: the rest of this"
                        + " minute's are counted in berth_console_tickets_refused_total only", config.auditRefusalsTotal());
            }
            throw new Refused(CLOSE_REFUSED, r.message);
        }
        String user = stored.username;
        VmAssignment a = QuarkusTransaction.joiningExisting().call(() -> VmAssignment.<VmAssignment>findById(machineId));
        if (a == null || !tenants.slugOf(a.tenantId).equals(stored.tenant)) { // unassigned or given to another tenant since
            String why = "The machine is no longer assigned to " + stored.tenant + ".";
            audit.record(user, stored.tenant, "console.open", stored.machineName, Outcome.DENIED, why, requestId);
            throw new Refused(CLOSE_NO_MACHINE, why);
        }
        Look look = look(a); // the port now: autoport gives a new one after every start
        if (!look.availability().available()) {
            String why = look.availability().unavailable();
            audit.record(user, stored.tenant, "console.open", a.name, Outcome.FAILED, why, requestId);
            throw new Refused(CLOSE_UNAVAILABLE, closeReason(why));
        }
        Endpoint endpoint = hosts.endpoint(a.hostId);
        try {
            return new Session(user, stored.tenant, a.id, a.name, endpoint, a.domainUuid,
                    ConsoleRules.target(endpoint.uri(), look.graphics(), ports), requestId);
        } catch (ConsoleRules.UnreachableException e) {
            if (e.forbidden) { // the domain's XML names a target Berth does not connect to
                audit.record(user, stored.tenant, "console.open", a.name, Outcome.DENIED, "VNC: " + e.getMessage(), requestId);
                int port = look.graphics().port();
                throw new Refused(CLOSE_REFUSED, closeReason(ports.allows(port)
                        ? "Berth does not open this console: its VNC server does not listen on its host's loopback."
                        : "Berth does not open this console: its VNC port " + port + " is not a console port."));
            }
            audit.record(user, stored.tenant, "console.open", a.name, Outcome.FAILED, e.getMessage(), requestId);
            throw new Refused(CLOSE_UNREACHABLE, closeReason("Berth cannot reach the console: " + e.getMessage()));
        }
    }

    /** The VNC server accepted and greeted with an RFB banner: the console is open. */
    public void opened(Session s) {
        audit.record(s.username(), s.tenant(), "console.open", s.machineName(), Outcome.OK,
                "VNC at " + s.target().host() + ":" + s.target().port(), s.requestId());
    }

    /** What answered at the VNC address did not greet as a VNC server: nothing was relayed either way. */
    public void notVnc(Session s, String why) {
        audit.record(s.username(), s.tenant(), "console.open", s.machineName(), Outcome.DENIED,
                "VNC at " + s.target().host() + ":" + s.target().port() + " " + why + "; nothing was relayed", s.requestId());
    }

    /** The proxy could not reach the VNC server. */
    public void unreachable(Session s, String error) {
        audit.record(s.username(), s.tenant(), "console.open", s.machineName(), Outcome.FAILED,
                "VNC at " + s.target().host() + ":" + s.target().port() + " did not answer: " + error, s.requestId());
    }

    public void closed(Session s, String why, Duration open, long bytesIn, long bytesOut) {
        audit.record(s.username(), s.tenant(), "console.close", s.machineName(), Outcome.OK,
                why + " after " + open.toSeconds() + " s (" + bytesIn + " bytes to the machine, " + bytesOut + " from it)",
                s.requestId());
    }

    /** Whether the machine still runs (asked when its VNC server hung up): null when the host does not say. */
    public Boolean running(Session s) {
        try {
            return hypervisor.describe(s.host(), s.uuid(), compute.callTimeout()).summary().state().active();
        } catch (DomainNotFoundException e) {
            return false;
        } catch (HypervisorException e) {
            return null;
        }
    }

    // ------------------------------------------------------------------ storage

    /** The conditional UPDATE that makes a ticket single-use: exactly one request sees 1 row. */
    private boolean claim(long id, Instant now) {
        int rows = QuarkusTransaction.requiringNew().call(() -> ConsoleTicket.update(
                "usedAt = ?1 where id = ?2 and usedAt is null and expiresAt > ?1", now, id));
        return rows == 1;
    }

    private void burn(long id, Instant now) {
        QuarkusTransaction.requiringNew().run(() -> ConsoleTicket.update("usedAt = ?1 where id = ?2 and usedAt is null", now, id));
    }

    /** Tickets are deleted an hour after they expired: until then a reuse is named as such in the audit log. */
    @Scheduled(every = "${berth.console.purge-interval:10m}", delayed = "30s",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP, identity = "console-ticket-purge")
    void purge() {
        Instant cutoff = Instant.now().minus(KEEP);
        QuarkusTransaction.requiringNew().run(() -> ConsoleTicket.delete("expiresAt < ?1", cutoff));
    }

    static String hash(String ticket) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(ticket.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** A close frame's reason has at most 123 bytes. */
    static String closeReason(String message) {
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= 123) {
            return message;
        }
        String cut = message;
        while (cut.getBytes(StandardCharsets.UTF_8).length > 120) {
            cut = cut.substring(0, cut.length() - 1);
        }
        return cut + "…";
    }
}
