package dev.berth.tenancy;

import dev.berth.audit.Actor;
import dev.berth.common.RequestIds;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpServerRequest;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import jakarta.json.JsonString;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * The signed-in user of this request: name, roles, tenants (from the {@code groups} claim) and the tenant
 * the request acts for. Used by pages (as {@code inject:currentUser}) and by the API alike.
 */
@RequestScoped
@Named("currentUser")
public class CurrentUser {
    @Inject
    SecurityIdentity identity;
    @Inject
    TenantService tenants;
    @Inject
    TenancyConfig config;
    @Inject
    HttpServerRequest request;
    @Inject
    CurrentVertxRequest vertxRequest;

    private List<TenantView> memberships;
    private Optional<TenantView> current;

    public boolean isAuthenticated() {
        return !identity.isAnonymous();
    }

    public String username() {
        return identity.isAnonymous() ? "" : identity.getPrincipal().getName();
    }

    public Set<String> roles() {
        return new TreeSet<>(identity.getRoles());
    }

    public boolean isAdmin() {
        return identity.hasRole(Roles.ADMIN);
    }

    /** The user's tenants, created on first sight. */
    public List<TenantView> tenants() {
        if (memberships == null) {
            memberships = identity.isAnonymous() ? List.of()
                    : tenants.ensureTenants(Membership.tenantSlugs(groups(), config.groupPrefix()));
        }
        return memberships;
    }

    /**
     * The tenant this request acts for: the one named in the API header (which must be the user's), else
     * the one remembered from the last switch, else the first.
     *
     * @throws Membership.NotAMemberException if the header names a tenant the user does not belong to
     */
    public Optional<TenantView> currentTenant() {
        if (current == null) {
            List<TenantView> mine = tenants();
            List<String> slugs = mine.stream().map(TenantView::slug).toList();
            Optional<String> chosen = Membership.current(slugs,
                    Optional.ofNullable(request.getHeader(config.header())).map(String::trim),
                    Optional.ofNullable(request.getCookie(config.cookie())).map(Cookie::getValue));
            current = chosen.flatMap(slug -> mine.stream().filter(t -> t.slug().equals(slug)).findFirst());
        }
        return current;
    }

    /** This user as the audit log records it, acting in the current tenant if there is one. */
    public Actor actor() {
        String tenant;
        try {
            tenant = currentTenant().map(TenantView::slug).orElse(null);
        } catch (Membership.NotAMemberException e) {
            tenant = null;
        }
        return new Actor(username(), tenant, RequestIds.of(vertxRequest.getCurrent()));
    }

    public boolean hasTenants() {
        return !tenants().isEmpty();
    }

    /** Whether the token names any tenant, read without the database (for frames drawn on the I/O thread). */
    public boolean claimsTenants() {
        return !identity.isAnonymous() && !Membership.tenantSlugs(groups(), config.groupPrefix()).isEmpty();
    }

    private Collection<String> groups() {
        if (!(identity.getPrincipal() instanceof JsonWebToken jwt)) {
            return List.of();
        }
        Object claim = jwt.getClaim("groups");
        var groups = new ArrayList<String>();
        if (claim instanceof Collection<?> values) {
            for (Object v : values) {
                groups.add(v instanceof JsonString js ? js.getString() : String.valueOf(v));
            }
        }
        return groups;
    }
}
