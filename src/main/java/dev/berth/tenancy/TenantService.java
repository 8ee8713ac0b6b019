package dev.berth.tenancy;

import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

@ApplicationScoped
public class TenantService {
    private static final Logger LOG = Logger.getLogger(TenantService.class);

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
                    create(slug);
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

    public List<TenantView> list(int page, int size) {
        return QuarkusTransaction.joiningExisting().call(() -> Tenant.<Tenant>findAll(io.quarkus.panache.common.Sort.by("slug"))
                .page(page, size).list().stream().map(TenantView::of).toList());
    }

    public long count() {
        return QuarkusTransaction.joiningExisting().call(() -> Tenant.count());
    }

    private Map<String, TenantView> load(List<String> slugs) {
        return QuarkusTransaction.joiningExisting().call(() -> Tenant.<Tenant>list("slug in ?1", slugs).stream()
                .map(TenantView::of).collect(Collectors.toMap(TenantView::slug, Function.identity())));
    }

    private void create(String slug) {
        try {
            QuarkusTransaction.requiringNew().run(() -> {
                var tenant = new Tenant();
                tenant.slug = slug;
                tenant.name = slug;
                tenant.createdAt = Instant.now();
                tenant.persist();
            });
            LOG.infof("Created tenant %s on first sign-in of a member", slug);
        } catch (RuntimeException e) {
            // Two first requests may race on the unique slug; the other one's tenant is all we wanted.
            if (load(List.of(slug)).isEmpty()) {
                throw e;
            }
            LOG.debugf("Tenant %s was created concurrently", slug);
        }
    }
}
