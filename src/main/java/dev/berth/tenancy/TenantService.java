package dev.berth.tenancy;

import dev.berth.audit.Actor;
import dev.berth.audit.AuditLog;
import dev.berth.audit.Outcome;
import dev.berth.common.Errors;
import dev.berth.common.InvalidInputException;
import dev.berth.common.NotFoundException;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.panache.common.Parameters;
import io.quarkus.panache.common.Sort;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

@ApplicationScoped
public class TenantService {
    private static final Logger LOG = Logger.getLogger(TenantService.class);

    @Inject
    AuditLog audit;
    @Inject
    QuotaDefaults defaults;
    @Inject
    Instance<UsageSource> usageSources;
    @Inject
    jakarta.enterprise.event.Event<QuotaChanged> quotaChanged;
    @Inject
    jakarta.enterprise.event.Event<SuspensionChanged> suspensionChanged;

    /**
     * The tenants with these slugs, creating those that do not exist yet: membership comes from the
     * identity provider, so a tenant is born on its first member's first sign-in.
     */
    public List<TenantView> ensureTenants(List<String> slugs) {
        if (slugs.isEmpty()) {
            return List.of();
        }
        Map<String, TenantView> found = load(slugs);
        if (found.size() < slugs.size()) {
            for (String slug : slugs) {
                if (!found.containsKey(slug)) {
                    insert(slug, slug);
                }
            }
            found = load(slugs);
        }
        var result = new ArrayList<TenantView>();
        for (String slug : slugs) {
            TenantView view = found.get(slug);
            if (view != null) {
                result.add(view);
            }
        }
        return result;
    }

    public record TenantPage(List<TenantView> items, int page, int size, long total) {
        public int pages() {
            return (int) Math.max(1, (total + size - 1) / size);
        }
    }

    /** Tenants whose slug or name contains {@code q} (any case), by slug. */
    public TenantPage search(String q, int page, int size) {
        return QuarkusTransaction.joiningExisting().call(() -> {
            var query = q == null || q.isBlank()
                    ? Tenant.<Tenant>findAll(Sort.by("slug"))
                    : Tenant.<Tenant>find("lower(slug) like :q or lower(name) like :q", Sort.by("slug"),
                            Parameters.with("q", "%" + q.trim().toLowerCase(Locale.ROOT) + "%"));
            long total = query.count();
            return new TenantPage(query.page(page, size).list().stream().map(TenantView::of).toList(), page, size, total);
        });
    }

    public List<TenantView> list(int page, int size) {
        return search(null, page, size).items();
    }

    public long count() {
        return QuarkusTransaction.joiningExisting().call(() -> Tenant.count());
    }

    public TenantView get(String slug) {
        return QuarkusTransaction.joiningExisting().call(() -> TenantView.of(find(slug)));
    }

    /** An administrator creates a tenant ahead of its members' first sign-in. */
    public TenantView create(Actor actor, String slug, String name) {
        var errors = new Errors();
        String s = errors.required("slug", slug, 63);
        if (s != null && !Membership.SLUG.matcher(s).matches()) {
            errors.add("slug", "use lower-case letters, digits and inner dashes (it becomes part of container and bucket names)");
        }
        String n = errors.optional("name", name, 200);
        if (s != null && !errors.has("slug") && Tenant.findBySlug(s).isPresent()) {
            errors.add("slug", "a tenant '" + s + "' already exists");
        }
        try {
            errors.throwIfAny();
        } catch (InvalidInputException e) {
            audit.record(actor.username(), null, "tenant.create", slug, Outcome.FAILED, e.getMessage(), actor.requestId());
            throw e;
        }
        insert(s, n == null ? s : n);
        audit.record(actor.username(), s, "tenant.create", s, Outcome.OK, null, actor.requestId());
        return get(s);
    }

    public TenantView rename(Actor actor, String slug, String name) {
        var errors = new Errors();
        String n = errors.required("name", name, 200);
        errors.throwIfAny();
        QuarkusTransaction.requiringNew().run(() -> find(slug).name = n);
        audit.record(actor.username(), slug, "tenant.rename", slug, Outcome.OK, "name: " + n, actor.requestId());
        return get(slug);
    }

    /**
     * Suspends (read-only everywhere) or resumes a tenant. {@code keepDataAccess}: while suspended, its access keys
     * keep working; otherwise the storage feature disables them and re-enables them on resume.
     */
    public TenantView setSuspended(Actor actor, String slug, boolean suspended, boolean keepDataAccess) {
        long id = QuarkusTransaction.requiringNew().call(() -> {
            Tenant t = find(slug);
            t.suspended = suspended;
            t.keepDataAccess = suspended && keepDataAccess;
            return t.id;
        });
        audit.record(actor.username(), slug, suspended ? "tenant.suspend" : "tenant.resume", slug, Outcome.OK,
                suspended ? (keepDataAccess ? "data access kept" : "access keys disabled") : null, actor.requestId());
        suspensionChanged.fire(new SuspensionChanged(id, slug, suspended, suspended && keepDataAccess));
        return get(slug);
    }

    /** @throws TenantSuspendedException when the tenant is suspended: the one check behind every tenant-side change */
    public void requireActive(String slug) {
        if (QuarkusTransaction.joiningExisting().call(() -> find(slug).suspended)) {
            throw new TenantSuspendedException(slug);
        }
    }

    /** The tenant's quota: the one an administrator set, else the configured defaults. */
    public QuotaLimits quota(String slug) {
        return QuarkusTransaction.joiningExisting().call(() -> {
            Tenant t = find(slug);
            Quota q = Quota.findById(t.id);
            return q != null ? q.limits(defaultLimits().diskBytes()) : defaultLimits();
        });
    }

    public QuotaLimits setQuota(Actor actor, String slug, QuotaInput input) {
        QuotaLimits limits;
        try {
            // A quota written before the disk quota existed (or without it) keeps the default disk.
            limits = QuotaRules.validate(input != null && input.disk() == null ? input.withDisk(defaults.disk()) : input);
        } catch (InvalidInputException e) {
            audit.record(actor.username(), slug, "quota.set", slug, Outcome.FAILED, e.getMessage(), actor.requestId());
            throw e;
        }
        long tenantId = QuarkusTransaction.requiringNew().call(() -> {
            Tenant t = find(slug);
            Quota q = Quota.findById(t.id);
            if (q == null) {
                q = new Quota();
                q.tenantId = t.id;
                q.set(limits);
                q.persist();
            } else {
                q.set(limits);
            }
            return t.id;
        });
        audit.record(actor.username(), slug, "quota.set", slug, Outcome.OK, describe(limits), actor.requestId());
        quotaChanged.fire(new QuotaChanged(tenantId, slug, limits)); // after the commit: listeners read the new quota
        return limits;
    }

    /** The database id behind a slug, for features that keep rows per tenant. */
    public long idOf(String slug) {
        return QuarkusTransaction.joiningExisting().call(() -> find(slug).id);
    }

    public String slugOf(long id) {
        return QuarkusTransaction.joiningExisting().call(() -> {
            Tenant t = Tenant.findById(id);
            return t == null ? null : t.slug;
        });
    }

    public TenantUsage usage(String slug) {
        long id = QuarkusTransaction.joiningExisting().call(() -> find(slug).id);
        TenantUsage total = TenantUsage.NONE;
        for (UsageSource source : usageSources) {
            total = total.plus(source.usage(id));
        }
        return total;
    }

    public QuotaLimits defaultLimits() {
        return QuotaRules.validate(defaults.asInput());
    }

    private static String describe(QuotaLimits l) {
        var in = l.asInput();
        return "vms=" + in.vms() + " vcpus=" + in.vcpus() + " memory=" + in.memory() + " buckets=" + in.buckets()
                + " storage=" + in.storageSoft() + "/" + in.storageHard() + " keys=" + in.accessKeys()
                + " container=" + in.containerCpus() + "cpu," + in.containerMemory() + ",r" + in.containerReadBps()
                + "/s,w" + in.containerWriteBps() + "/s network=" + in.networkBandwidth() + " disk=" + in.disk();
    }

    private static Tenant find(String slug) {
        return Tenant.findBySlug(slug).orElseThrow(() -> new NotFoundException("There is no tenant '" + slug + "'."));
    }

    private Map<String, TenantView> load(List<String> slugs) {
        return QuarkusTransaction.joiningExisting().call(() -> Tenant.<Tenant>list("slug in ?1", slugs).stream()
                .map(TenantView::of).collect(Collectors.toMap(TenantView::slug, Function.identity())));
    }

    private void insert(String slug, String name) {
        try {
            QuarkusTransaction.requiringNew().run(() -> {
                var tenant = new Tenant();
                tenant.slug = slug;
                tenant.name = name;
                tenant.createdAt = Instant.now();
                tenant.persist();
            });
            LOG.infof("Created tenant %s", slug);
        } catch (RuntimeException e) {
            // Two first requests may race on the unique slug; the other one's tenant is all we wanted.
            if (load(List.of(slug)).isEmpty()) {
                throw e;
            }
            LOG.debugf("Tenant %s was created concurrently", slug);
        }
    }
}
