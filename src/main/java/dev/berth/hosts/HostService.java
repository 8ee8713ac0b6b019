package dev.berth.hosts;

import dev.berth.audit.Actor;
import dev.berth.audit.AuditLog;
import dev.berth.audit.Outcome;
import dev.berth.common.ConflictException;
import dev.berth.common.InvalidInputException;
import dev.berth.common.NotFoundException;
import dev.berth.common.SecretBox;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.panache.common.Sort;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Registers, edits and removes hosts; every change is audited, failures too. */
@ApplicationScoped
public class HostService {
    @Inject
    AuditLog audit;
    @Inject
    SecretBox secrets;
    @Inject
    Instance<HostResidents> residents;

    public List<HostView> list() {
        return QuarkusTransaction.joiningExisting().call(() ->
                Host.<Host>listAll(Sort.by("kind").and("name")).stream().map(HostView::of).toList());
    }

    /** Enabled hosts of one kind, for features that place or find things on them. */
    public List<HostView> enabled(HostKind kind) {
        return QuarkusTransaction.joiningExisting().call(() ->
                Host.<Host>list("enabled = true and kind = ?1", Sort.by("name"), kind).stream().map(HostView::of).toList());
    }

    /** How to reach a host, TLS key opened: for adapters only, never for a page or a response. */
    public Endpoint endpoint(long id) {
        return QuarkusTransaction.joiningExisting().call(() -> endpointOf(find(id)));
    }

    /** A host's name and how to reach it. */
    public record Reach(long id, String name, Endpoint endpoint) {
    }

    /** Several hosts in one query: pages that fan out to many hosts pay one round trip, not one per host. */
    public java.util.Map<Long, Reach> reach(java.util.Collection<Long> ids) {
        if (ids.isEmpty()) {
            return java.util.Map.of();
        }
        return QuarkusTransaction.joiningExisting().call(() -> Host.<Host>list("id in ?1", ids).stream()
                .collect(java.util.stream.Collectors.toMap(h -> h.id, h -> new Reach(h.id, h.name, endpointOf(h)))));
    }

    private Endpoint endpointOf(Host h) {
        Endpoint.TlsMaterial tls = h.tlsKeySealed == null ? null
                : new Endpoint.TlsMaterial(h.tlsCaPem, h.tlsCertPem, secrets.open(h.tlsKeySealed));
        return new Endpoint(h.uri, tls);
    }

    public HostView get(long id) {
        return QuarkusTransaction.joiningExisting().call(() -> HostView.of(find(id)));
    }

    public HostView create(Actor actor, HostInput input) {
        HostRules.Valid v = validated(actor, "host.create", input == null ? null : input.name(), input, false);
        refuseDuplicateName(actor, "host.create", v.name(), null);
        long id = QuarkusTransaction.requiringNew().call(() -> {
            var h = new Host();
            h.createdAt = Instant.now();
            apply(h, v);
            h.persist();
            return h.id;
        });
        audit.record(actor.username(), null, "host.create", v.name() + " (" + v.kind() + " " + v.uri() + ")", Outcome.OK, null, actor.requestId());
        return get(id);
    }

    public HostView update(Actor actor, long id, HostInput input) {
        Host current = QuarkusTransaction.joiningExisting().call(() -> find(id));
        HostRules.Valid v = validated(actor, "host.update", current.name, input, current.tlsKeySealed != null);
        refuseDuplicateName(actor, "host.update", v.name(), id);
        QuarkusTransaction.requiringNew().run(() -> {
            Host h = find(id);
            if (h.kind != v.kind() && !residentsOn(id).isEmpty()) {
                throw InvalidInputException.of("kind", "cannot change while tenants' resources live on this host");
            }
            apply(h, v);
        });
        audit.record(actor.username(), null, "host.update", v.name(), Outcome.OK, null, actor.requestId());
        return get(id);
    }

    public HostView setEnabled(Actor actor, long id, boolean enabled) {
        String name = QuarkusTransaction.requiringNew().call(() -> {
            Host h = find(id);
            h.enabled = enabled;
            return h.name;
        });
        audit.record(actor.username(), null, enabled ? "host.enable" : "host.disable", name, Outcome.OK, null, actor.requestId());
        return get(id);
    }

    /** Removes a host, refused while tenants' resources live on it (the message says which). */
    public void delete(Actor actor, long id) {
        String name = QuarkusTransaction.joiningExisting().call(() -> find(id).name);
        List<String> living = residentsOn(id);
        if (!living.isEmpty()) {
            String reason = "Host " + name + " still has tenants' resources: " + String.join(", ", living)
                    + ". Move or remove them first.";
            audit.record(actor.username(), null, "host.delete", name, Outcome.FAILED, reason, actor.requestId());
            throw new ConflictException(reason);
        }
        QuarkusTransaction.requiringNew().run(() -> Host.deleteById(id));
        audit.record(actor.username(), null, "host.delete", name, Outcome.OK, null, actor.requestId());
    }

    public List<String> residentsOn(long id) {
        var all = new ArrayList<String>();
        residents.forEach(r -> all.addAll(r.residentsOn(id)));
        return all;
    }

    /** Names are unique; the database's constraint backs this check up for two admins racing. */
    private void refuseDuplicateName(Actor actor, String action, String name, Long exceptId) {
        long clashes = QuarkusTransaction.joiningExisting().call(() -> exceptId == null ? Host.count("name", name)
                : Host.count("name = ?1 and id <> ?2", name, exceptId));
        if (clashes > 0) {
            var e = InvalidInputException.of("name", "a host named '" + name + "' already exists");
            audit.record(actor.username(), null, action, name, Outcome.FAILED, e.getMessage(), actor.requestId());
            throw e;
        }
    }

    private HostRules.Valid validated(Actor actor, String action, String target, HostInput input, boolean keyStored) {
        try {
            if (input == null) {
                throw InvalidInputException.of("body", "is required");
            }
            return HostRules.validate(input, keyStored);
        } catch (InvalidInputException e) {
            audit.record(actor.username(), null, action, target, Outcome.FAILED, e.getMessage(), actor.requestId());
            throw e;
        }
    }

    private void apply(Host h, HostRules.Valid v) {
        boolean endpointChanged = h.uri != null && (!h.uri.equals(v.uri()) || h.kind != v.kind());
        h.name = v.name();
        h.kind = v.kind();
        h.uri = v.uri();
        h.storageAddress = v.storageAddress();
        h.labels = v.labels();
        h.enabled = v.enabled();
        h.tlsCaPem = v.tlsCaPem();
        h.tlsCertPem = v.tlsCertPem();
        if (v.tlsKeyPem() != null) {
            h.tlsKeySealed = secrets.seal(v.tlsKeyPem());
        } else if (v.tlsCaPem() == null) {
            h.tlsKeySealed = null; // TLS removed
        }
        if (endpointChanged) { // what we knew was about another endpoint
            h.probedAt = null;
            h.probeUp = null;
            h.probeError = null;
            h.probeLatencyMs = null;
        }
    }

    private static Host find(long id) {
        Host h = Host.findById(id);
        if (h == null) {
            throw new NotFoundException("There is no host " + id + ".");
        }
        return h;
    }
}
