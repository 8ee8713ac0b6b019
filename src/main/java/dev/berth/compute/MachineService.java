package dev.berth.compute;

import dev.berth.audit.Actor;
import dev.berth.audit.AuditLog;
import dev.berth.audit.Outcome;
import dev.berth.common.ConflictException;
import dev.berth.common.InvalidInputException;
import dev.berth.common.NotFoundException;
import dev.berth.hosts.HostKind;
import dev.berth.hosts.HostResidents;
import dev.berth.hosts.HostService;
import dev.berth.hosts.HostView;
import dev.berth.tenancy.TenantService;
import dev.berth.tenancy.TenantUsage;
import dev.berth.tenancy.UsageSource;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Machines: discovery on KVM hosts, assignment to tenants within quota, the tenant's view with live state,
 * and power actions. Calls to hosts run in parallel, each bounded by the call timeout, so a page costs about
 * its slowest host, and a host that hangs shows its machines as "state unknown" instead of stalling.
 */
@ApplicationScoped
public class MachineService implements UsageSource, HostResidents {
    @Inject
    Hypervisor hypervisor;
    @Inject
    HostService hosts;
    @Inject
    TenantService tenants;
    @Inject
    AuditLog audit;
    @Inject
    ComputeConfig config;
    @Inject
    dev.berth.tenancy.CurrentUser user;
    @Inject
    dev.berth.tenancy.TenantLocks locks;

    /**
     * Domain lists by host URI: shared by every request that wants one while it is out or younger than
     * {@code berth.compute.list-max-age}; forgotten after a power action on the host.
     */
    private dev.berth.common.SharedCalls<String, HostAnswer> domainLists;

    @jakarta.annotation.PostConstruct
    void init() {
        domainLists = new dev.berth.common.SharedCalls<>(config.listMaxAge(), java.time.Clock.systemUTC());
    }

    private final ExecutorService fanOut = Executors.newVirtualThreadPerTaskExecutor();

    /** What one host said: its domains by UUID, or why it said nothing; {@code at}: when it said it. */
    record HostAnswer(Map<String, DomainSummary> domains, String error, Instant at) {
        HostAnswer(Map<String, DomainSummary> domains, String error) {
            this(domains, error, null);
        }

        HostAnswer at(Instant when) {
            return new HostAnswer(domains, error, when);
        }
    }

    /** A domain found on a host, assigned or not. */
    public record DiscoveredVm(long hostId, String host, String uuid, String name, DomainState state, int vcpus,
                               long memoryBytes, String tenant, Long assignmentId) {
        public String memoryText() {
            return dev.berth.common.ByteSize.format(memoryBytes);
        }
    }

    public record Discovery(List<DiscoveredVm> domains, Map<String, String> unreachableHosts) {
    }

    /** A domain named by where it lives: host and UUID (a name alone is not an identity). */
    public record DomainRef(@jakarta.validation.constraints.NotNull Long hostId, @jakarta.validation.constraints.NotBlank String uuid) {
    }

    // ------------------------------------------------------------------ admin: discovery and assignment

    public Discovery discover() {
        List<HostView> kvm = hosts.enabled(HostKind.KVM);
        Map<Long, HostAnswer> answers = askFresh(kvm.stream().map(HostView::id).toList());
        Map<String, VmAssignment> assigned = QuarkusTransaction.joiningExisting().call(() -> VmAssignment.<VmAssignment>listAll())
                .stream().collect(Collectors.toMap(a -> a.hostId + "/" + a.domainUuid, Function.identity()));
        Map<Long, String> slugs = new HashMap<>();
        var found = new ArrayList<DiscoveredVm>();
        var unreachable = new LinkedHashMap<String, String>();
        for (HostView h : kvm) {
            HostAnswer answer = answers.get(h.id());
            if (answer.error() != null) {
                unreachable.put(h.name(), answer.error());
                continue;
            }
            for (DomainSummary d : answer.domains().values()) {
                VmAssignment a = assigned.get(h.id() + "/" + d.uuid());
                String tenant = a == null ? null : slugs.computeIfAbsent(a.tenantId, tenants::slugOf);
                found.add(new DiscoveredVm(h.id(), h.name(), d.uuid(), d.name(), d.state(), d.vcpus(), d.memoryBytes(),
                        tenant, a == null ? null : a.id));
            }
        }
        found.sort(java.util.Comparator.comparing(DiscoveredVm::host).thenComparing(DiscoveredVm::name));
        return new Discovery(found, unreachable);
    }

    /** Assigns domains to a tenant, all or none, within its quota. */
    public List<Long> assign(Actor actor, String tenantSlug, List<DomainRef> refs) {
        if (refs == null || refs.isEmpty() || refs.stream().anyMatch(java.util.Objects::isNull)) {
            throw InvalidInputException.of("domains", "name at least one domain by host id and UUID");
        }
        long tenantId = tenants.idOf(tenantSlug);
        tenants.requireActive(tenantSlug); // a suspended tenant gets no new machines
        Map<Long, HostAnswer> answers = askFresh(refs.stream().map(r -> {
            if (r.hostId() == null || r.uuid() == null || r.uuid().isBlank()) {
                throw InvalidInputException.of("domains", "every domain needs a hostId and a uuid");
            }
            hosts.get(r.hostId()); // 404 for an unknown host
            return r.hostId();
        }).distinct().toList());
        var adding = new ArrayList<DomainSummary>();
        for (DomainRef r : refs) {
            HostAnswer answer = answers.get(r.hostId());
            if (answer.error() != null) {
                throw new ConflictException("Host " + r.hostId() + " did not answer (" + answer.error() + "); nothing was assigned.");
            }
            DomainSummary d = answer.domains().get(r.uuid().trim().toLowerCase(java.util.Locale.ROOT));
            if (d == null) {
                throw InvalidInputException.of("domains", "host " + r.hostId() + " has no domain " + r.uuid());
            }
            adding.add(d);
        }
        // Usage, quota check and insert under the tenant's lock: parallel assignments never pass the quota together.
        return locks.exclusive(tenantId, () -> assign(actor, tenantSlug, tenantId, refs, adding));
    }

    private List<Long> assign(Actor actor, String tenantSlug, long tenantId, List<DomainRef> refs, List<DomainSummary> adding) {
        TenantUsage now = tenants.usage(tenantSlug);
        Optional<String> refusal = AssignmentRules.quotaRefusal(tenantSlug, tenants.quota(tenantSlug), now, adding);
        if (refusal.isPresent()) {
            audit.record(actor.username(), tenantSlug, "vm.assign", names(adding), Outcome.FAILED, refusal.get(), actor.requestId());
            throw new ConflictException(refusal.get());
        }
        List<Long> ids = QuarkusTransaction.requiringNew().call(() -> {
            var created = new ArrayList<Long>();
            for (int i = 0; i < refs.size(); i++) {
                DomainRef r = refs.get(i);
                DomainSummary d = adding.get(i);
                VmAssignment existing = VmAssignment.find("hostId = ?1 and domainUuid = ?2", r.hostId(), d.uuid()).firstResult();
                if (existing != null) {
                    throw new ConflictException(d.name() + " is already assigned to tenant " + tenants.slugOf(existing.tenantId)
                            + "; unassign it first. Nothing was assigned.");
                }
                var a = new VmAssignment();
                a.tenantId = tenantId;
                a.hostId = r.hostId();
                a.domainUuid = d.uuid();
                a.name = d.name();
                a.vcpus = d.vcpus();
                a.memoryBytes = d.memoryBytes();
                a.assignedAt = Instant.now();
                a.assignedBy = actor.username();
                a.persist();
                created.add(a.id);
            }
            return created;
        });
        audit.record(actor.username(), tenantSlug, "vm.assign", names(adding), Outcome.OK, null, actor.requestId());
        return ids;
    }

    public void unassign(Actor actor, List<Long> assignmentIds) {
        if (assignmentIds == null || assignmentIds.isEmpty()) {
            throw InvalidInputException.of("ids", "name at least one assignment");
        }
        if (assignmentIds.stream().anyMatch(java.util.Objects::isNull)) {
            throw InvalidInputException.of("ids", "every id must be a number");
        }
        for (Long id : assignmentIds) {
            VmAssignment a = QuarkusTransaction.joiningExisting().call(() -> VmAssignment.<VmAssignment>findById(id));
            if (a == null) {
                throw new NotFoundException("There is no assignment " + id + ".");
            }
            String slug = tenants.slugOf(a.tenantId);
            if (a.madeByBerth) { // unassigning would leave its domain and disk with no owner
                String reason = a.name + " was created by Berth for " + slug + "; it is deleted (by the tenant), not unassigned.";
                audit.record(actor.username(), slug, "vm.unassign", a.name, Outcome.FAILED, reason, actor.requestId());
                throw new ConflictException(reason);
            }
            QuarkusTransaction.requiringNew().run(() -> VmAssignment.deleteById(id));
            audit.record(actor.username(), slug, "vm.unassign", a.name + " (" + a.domainUuid + ")", Outcome.OK, null, actor.requestId());
        }
    }

    // ------------------------------------------------------------------ tenant: machines and actions

    /** The tenant's machines with their live state, by name. */
    public List<MachineView> machines(String tenantSlug) {
        // One read-only transaction for the rows and their hosts; then the hosts (whose answers are shared).
        record Read(List<Row> rows, Map<Long, HostService.Reach> reach) {
        }
        Read read = QuarkusTransaction.joiningExisting().call(() -> {
            long tenantId = tenants.idOf(tenantSlug);
            List<Row> rows = VmAssignment.getEntityManager()
                    .createQuery("select new dev.berth.compute.MachineService$Row(a.id, a.name, a.hostId, a.domainUuid, a.vcpus,"
                            + " a.memoryBytes, a.runningSince, a.runningSinceExact, a.status, a.lastError)"
                            + " from VmAssignment a where a.tenantId = :t order by a.name", Row.class)
                    .setParameter("t", tenantId).getResultList();
            return new Read(rows, hosts.reach(rows.stream().map(Row::hostId).distinct().toList()));
        });
        Map<Long, HostAnswer> answered = ask(read.reach());
        List<Row> mine = read.rows();
        return observed(mine, mine.stream().map(a -> view(a, answered.get(a.hostId()), read.reach().get(a.hostId()).name())).toList());
    }

    /**
     * Adds uptime to fresh views and remembers what changed: a machine seen running for the first time, or seen
     * stopped. Rows that change together share one value, so this is at most two statements, and none when
     * nothing changed (the usual case).
     */
    private List<MachineView> observed(List<Row> rows, List<MachineView> views) {
        Instant now = Instant.now();
        var changes = new HashMap<Uptime, List<Long>>();
        var out = new ArrayList<MachineView>(views.size());
        for (int i = 0; i < views.size(); i++) {
            Row r = rows.get(i);
            MachineView v = views.get(i);
            Uptime known = new Uptime(r.runningSince(), r.runningSinceExact());
            Optional<Uptime> next = known.observe(v.state(), v.missing(), now);
            next.ifPresent(u -> changes.computeIfAbsent(u, k -> new ArrayList<>()).add(r.id()));
            out.add(v.withUptime(next.orElse(known)));
        }
        changes.forEach(this::remember);
        return out;
    }

    private void remember(Uptime u, List<Long> ids) {
        QuarkusTransaction.requiringNew().run(() -> VmAssignment.update(
                "runningSince = ?1, runningSinceExact = ?2 where id in ?3", u.since(), u.exact(), ids));
    }

    /** What a list needs of an assignment, read without managing 1,000 entities. */
    public record Row(Long id, String name, Long hostId, String domainUuid, int vcpus, long memoryBytes,
                      Instant runningSince, boolean runningSinceExact, String status, String lastError) {
        static Row of(VmAssignment a) {
            return new Row(a.id, a.name, a.hostId, a.domainUuid, a.vcpus, a.memoryBytes, a.runningSince, a.runningSinceExact,
                    a.status, a.lastError);
        }
    }

    /** One of the tenant's machines; another tenant's id is as unknown as an id that never existed. */
    public MachineView machine(String tenantSlug, long id) {
        VmAssignment a = owned(tenantSlug, id);
        Row row = Row.of(a);
        // One machine's page says what its host says now; only lists share a host's recent answer.
        return observed(List.of(row), List.of(view(row, askFresh(List.of(a.hostId)).get(a.hostId), hosts.get(a.hostId).name()))).get(0);
    }

    /** @param madeByBerth Berth created it from an image (a tenant may delete it); false: an administrator assigned it */
    public record MachineDetail(MachineView machine, DomainDetail detail, List<TuningAdvice.Advice> advice, String error,
                                boolean madeByBerth) {
        /** The display type in the definition ("vnc", "spice" …, or "none"); null when the host did not say. */
        @com.fasterxml.jackson.annotation.JsonIgnore
        public String display() {
            return detail == null ? null : detail.graphics() == null ? "none" : ConsoleRules.display(detail.graphics().type());
        }

        /** The sentence shown when there is no tuning advice: only about devices the machine has. */
        @com.fasterxml.jackson.annotation.JsonIgnore
        public String noAdvice() {
            return detail == null ? "" : TuningAdvice.noAdvice(detail);
        }

        /** Why the Console button is disabled, or null. */
        @com.fasterxml.jackson.annotation.JsonIgnore
        public String consoleRefusal() {
            return ConsoleRules.buttonRefusal(machine, display());
        }
    }

    public MachineDetail detail(String tenantSlug, long id) {
        VmAssignment a = owned(tenantSlug, id);
        MachineView view = machine(tenantSlug, id);
        try {
            DomainDetail d = hypervisor.describe(hosts.endpoint(a.hostId), a.domainUuid, config.callTimeout());
            return new MachineDetail(view, d, TuningAdvice.of(d), null, a.madeByBerth);
        } catch (HypervisorException e) {
            return new MachineDetail(view, null, List.of(), e.getMessage(), a.madeByBerth);
        }
    }

    public DomainStats stats(String tenantSlug, long id) {
        VmAssignment a = owned(tenantSlug, id);
        try {
            return hypervisor.stats(hosts.endpoint(a.hostId), a.domainUuid, config.callTimeout());
        } catch (HypervisorException e) {
            throw new ConflictException("No statistics for " + a.name + ": " + e.getMessage());
        }
    }

    /** A power action, refused with the reason when the machine's state does not allow it; audited either way. */
    public MachineView act(Actor actor, String tenantSlug, long id, PowerAction action) {
        VmAssignment a = owned(tenantSlug, id);
        MachineView now = machine(tenantSlug, id);
        String what = "vm." + action.name().toLowerCase(java.util.Locale.ROOT);
        Optional<String> refusal = now.missing() ? Optional.of(a.name + " is missing from its host.")
                : PowerRules.refusal(a.name, now.state(), action);
        if (refusal.isPresent()) {
            audit.record(actor.username(), tenantSlug, what, a.name, Outcome.FAILED, refusal.get(), actor.requestId());
            throw new ConflictException(refusal.get());
        }
        var endpoint = hosts.endpoint(a.hostId);
        try {
            hypervisor.act(endpoint, a.domainUuid, action, config.actionTimeout());
        } catch (HypervisorException e) {
            audit.record(actor.username(), tenantSlug, what, a.name, Outcome.FAILED, e.getMessage(), actor.requestId());
            throw new ConflictException("The host refused to " + action.name().toLowerCase(java.util.Locale.ROOT) + " " + a.name + ": " + e.getMessage());
        }
        domainLists.forget(endpoint.uri()); // a list begun before the action would show the old state
        audit.record(actor.username(), tenantSlug, what, a.name, Outcome.OK, null, actor.requestId());
        switch (action) { // the guest's uptime starts over; a shutdown takes effect later and is observed then
            case START, REBOOT -> remember(Uptime.startedAt(Instant.now()), List.of(a.id));
            case POWEROFF -> remember(Uptime.NONE, List.of(a.id));
            default -> {
            }
        }
        return machine(tenantSlug, id);
    }

    /** Advice for one machine, as the per-tenant and admin summaries list it. */
    public record AdviceRow(Long machineId, String tenant, String host, String name, List<TuningAdvice.Advice> advice, String error) {
    }

    /** Tuning advice for every machine of a tenant (null: every domain on every enabled KVM host, for admins). */
    public List<AdviceRow> adviceSummary(String tenantSlug) {
        record Item(Long machineId, String tenant, long hostId, String host, String uuid, String name) {
        }
        var items = new ArrayList<Item>();
        if (tenantSlug != null) {
            for (MachineView m : machines(tenantSlug)) {
                if (!m.missing() && m.state() != DomainState.UNKNOWN) {
                    items.add(new Item(m.id(), tenantSlug, m.hostId(), m.host(), m.uuid(), m.name()));
                }
            }
        } else {
            for (DiscoveredVm d : discover().domains()) {
                items.add(new Item(d.assignmentId(), d.tenant(), d.hostId(), d.host(), d.uuid(), d.name()));
            }
        }
        var endpoints = new HashMap<Long, dev.berth.hosts.Endpoint>();
        items.forEach(i -> endpoints.computeIfAbsent(i.hostId(), hosts::endpoint));
        var futures = items.stream().map(i -> CompletableFuture.supplyAsync(() -> {
            try {
                var advice = TuningAdvice.of(hypervisor.describe(endpoints.get(i.hostId()), i.uuid(), config.callTimeout()));
                return new AdviceRow(i.machineId(), i.tenant(), i.host(), i.name(), advice, null);
            } catch (HypervisorException e) {
                return new AdviceRow(i.machineId(), i.tenant(), i.host(), i.name(), List.of(), e.getMessage());
            }
        }, fanOut)).toList();
        return futures.stream().map(CompletableFuture::join).filter(r -> !r.advice().isEmpty() || r.error() != null).toList();
    }

    /** Where to find one assigned machine, for background work such as sampling statistics. */
    public record Target(long assignmentId, dev.berth.hosts.Endpoint endpoint, String uuid) {
    }

    public List<Target> targets() {
        List<VmAssignment> all = QuarkusTransaction.joiningExisting().call(() -> VmAssignment.<VmAssignment>listAll());
        var endpoints = new HashMap<Long, dev.berth.hosts.Endpoint>();
        var enabled = hosts.enabled(HostKind.KVM).stream().map(HostView::id).collect(Collectors.toSet());
        return all.stream().filter(a -> enabled.contains(a.hostId))
                .map(a -> new Target(a.id, endpoints.computeIfAbsent(a.hostId, hosts::endpoint), a.domainUuid)).toList();
    }

    // ------------------------------------------------------------------ quota usage and host residents

    @Override
    public TenantUsage usage(long tenantId) {
        // A creation that failed was undone on its host: its row stays to say why, holding no quota.
        List<VmAssignment> mine = QuarkusTransaction.joiningExisting().call(() -> VmAssignment.<VmAssignment>list(
                "tenantId = ?1 and (status is null or status <> ?2)", tenantId, Creation.Status.FAILED.name()));
        return new TenantUsage(mine.size(), mine.stream().mapToInt(a -> a.vcpus).sum(),
                mine.stream().mapToLong(a -> a.memoryBytes).sum(), 0, 0, 0, mine.stream().mapToLong(a -> a.diskBytes).sum());
    }

    @Override
    public List<String> residentsOn(long hostId) {
        return QuarkusTransaction.joiningExisting().call(() -> VmAssignment.<VmAssignment>list("hostId", hostId)).stream()
                .map(a -> "VM " + a.name + " of tenant " + tenants.slugOf(a.tenantId)).toList();
    }

    // ------------------------------------------------------------------ internals

    /** Any assigned machine, for administrators (who are no tenant's members); an unknown id is a 404. */
    VmAssignment assignment(long id) {
        VmAssignment a = QuarkusTransaction.joiningExisting().call(() -> VmAssignment.<VmAssignment>findById(id));
        if (a == null) {
            throw new NotFoundException("There is no machine " + id + ".");
        }
        return a;
    }

    /** An assignment with its live state from its host. */
    MachineView view(VmAssignment a) {
        return view(Row.of(a), askFresh(List.of(a.hostId)).get(a.hostId), hosts.get(a.hostId).name());
    }

    VmAssignment owned(String tenantSlug, long id) {
        long tenantId = tenants.idOf(tenantSlug);
        VmAssignment a = QuarkusTransaction.joiningExisting().call(() -> VmAssignment.<VmAssignment>findById(id));
        if (a == null || a.tenantId != tenantId) {
            if (a != null) { // someone else's machine: refused exactly like an unknown id, and recorded
                Actor actor = user.actor();
                audit.record(actor.username(), tenantSlug, "vm.access", "machine " + id, Outcome.DENIED,
                        "belongs to another tenant", actor.requestId());
            }
            throw new NotFoundException("There is no machine " + id + ".");
        }
        return a;
    }

    private static MachineView view(Row a, HostAnswer answer, String hostName) {
        if (answer == null || answer.error() != null) {
            return new MachineView(a.id(), a.name(), a.hostId(), hostName, a.domainUuid(), DomainState.UNKNOWN, false, a.vcpus(),
                    a.memoryBytes(), "host " + hostName + " did not answer: " + (answer == null ? "no answer" : answer.error()));
        }
        DomainSummary d = answer.domains().get(a.domainUuid().toLowerCase(java.util.Locale.ROOT));
        if (d == null && a.status() != null && !Creation.Status.READY.name().equals(a.status())) {
            // a Berth-made machine that is not on its host yet (or any more): say where it stands, not "missing"
            String note = Creation.Status.FAILED.name().equals(a.status()) ? "creation failed: " + a.lastError()
                    : a.status().toLowerCase(java.util.Locale.ROOT);
            return new MachineView(a.id(), a.name(), a.hostId(), hostName, a.domainUuid(), DomainState.UNKNOWN, false, a.vcpus(),
                    a.memoryBytes(), note);
        }
        if (d == null) {
            return new MachineView(a.id(), a.name(), a.hostId(), hostName, a.domainUuid(), DomainState.UNKNOWN, true, a.vcpus(),
                    a.memoryBytes(), "host " + hostName + " has no domain " + a.domainUuid() + " any more");
        }
        // Berth-made machines go by the name the tenant gave (libvirt's is <tenant>.<name>)
        return new MachineView(a.id(), a.status() != null ? a.name() : d.name(), a.hostId(), hostName, a.domainUuid(), d.state(), false,
                d.vcpus(), d.memoryBytes(), null).stateAt(answer.at());
    }

    /** A change on this host (a machine made or deleted): lists begun before it would show the old state. */
    void forget(dev.berth.hosts.Endpoint endpoint) {
        domainLists.forget(endpoint.uri());
    }

    /** Lists the domains of these hosts in parallel; each answer arrives within the call timeout. */
    Map<Long, HostAnswer> ask(List<Long> hostIds) {
        return ask(hosts.reach(hostIds));
    }

    /**
     * As {@link #ask(List)}, but never a kept answer: discovery and assignment follow domains an administrator may
     * have defined a moment ago, and one machine's page shows its host's state now.
     */
    Map<Long, HostAnswer> askFresh(List<Long> hostIds) {
        Map<Long, HostService.Reach> reach = hosts.reach(hostIds);
        reach.values().forEach(r -> domainLists.forget(r.endpoint().uri()));
        return ask(reach);
    }

    Map<Long, HostAnswer> ask(Map<Long, HostService.Reach> reach) {
        var futures = new LinkedHashMap<Long, CompletableFuture<dev.berth.common.SharedCalls.Answer<HostAnswer>>>();
        for (Long id : reach.keySet()) {
            var endpoint = reach.get(id).endpoint();
            // Every request that wants this host's domains while a call is out joins that call.
            futures.put(id, domainLists.share(endpoint.uri(), () -> CompletableFuture.supplyAsync(() -> {
                try {
                    return new HostAnswer(hypervisor.listDomains(endpoint, config.callTimeout()).stream()
                            .collect(Collectors.toMap(d -> d.uuid().toLowerCase(java.util.Locale.ROOT), Function.identity(), (x, y) -> x)), null);
                } catch (HypervisorException e) {
                    return new HostAnswer(Map.of(), e.getMessage());
                } catch (RuntimeException e) {
                    return new HostAnswer(Map.of(), e.getClass().getSimpleName() + ": " + e.getMessage());
                }
            }, fanOut)));
        }
        var answers = new HashMap<Long, HostAnswer>();
        futures.forEach((id, f) -> {
            var answer = f.join();
            answers.put(id, answer.value().at(answer.at()));
        });
        return answers;
    }

    private static String names(List<DomainSummary> domains) {
        return String.join(", ", domains.stream().map(DomainSummary::name).toList());
    }
}
