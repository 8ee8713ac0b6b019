package dev.berth.web;

import dev.berth.tenancy.CurrentUser;
import dev.berth.tenancy.TenantView;
import io.quarkus.arc.Arc;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import jakarta.inject.Named;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What the page frame shows (as {@code inject:navigation.current} in the layout): the user, the tenant switcher and
 * the menu items their role can use. It also serves error pages, which may render where no request scope or
 * identity exists: then it is the frame of someone not signed in, never an error of its own.
 */
@ApplicationScoped
@Named("navigation")
public class Navigation {
    /** Where a tenant switch may return to: the sections' roots, never a path that names another tenant's resource. */
    static final Set<String> SECTION_ROOTS = Set.of("/", "/machines", "/storage", "/storage/buckets", "/usage");

    @Inject
    Instance<CurrentUser> user;
    @Inject
    Instance<Flash> flash;
    @Inject
    CurrentVertxRequest request;

    public record Item(String id, String href, String label, boolean current) {
    }

    /** The frame of one page. {@code tenant} is null without one; {@code returnTo} is the section root for a switch. */
    public record Frame(boolean signedIn, String username, boolean admin, List<TenantView> tenants, TenantView tenant,
                        String flash, List<Item> items, String returnTo) {
        public boolean switcher() {
            return tenants.size() > 1;
        }
    }

    public Frame current() {
        if (!Arc.container().requestContext().isActive()) {
            return anonymous("");
        }
        String path = Optional.ofNullable(request.getCurrent()).map(ctx -> ctx.request().path()).orElse("/");
        try {
            CurrentUser u = user.get();
            if (!u.isAuthenticated()) {
                return anonymous(path);
            }
            if (io.vertx.core.Context.isOnEventLoopThread()) {
                // A 404 for a path no resource matches renders on the I/O thread, where the database must not be
                // read: the frame then comes from the token alone, without tenant names or the switcher.
                return new Frame(true, u.username(), u.isAdmin(), List.of(), null, null,
                        items(path, u.claimsTenants(), u.isAdmin()), "/");
            }
            TenantView tenant = u.currentTenant().orElse(null);
            return new Frame(true, u.username(), u.isAdmin(), u.tenants(), tenant, flash.get().message(),
                    items(path, tenant != null, u.isAdmin()), sectionRoot(path));
        } catch (RuntimeException e) {
            // An error page for a request whose tenant header named a foreign tenant, for instance: show a plain frame.
            return anonymous(path);
        }
    }

    private static Frame anonymous(String path) {
        return new Frame(false, "", false, List.of(), null, null, List.of(item("dashboard", "/", "Dashboard", path)), "/");
    }

    /**
     * Tenant items only with a tenant (they lead nowhere without one), Admin only for administrators; someone with
     * neither sees the dashboard, which says why.
     */
    static List<Item> items(String path, boolean tenant, boolean admin) {
        var items = new ArrayList<Item>();
        items.add(item("dashboard", "/", "Dashboard", path));
        if (tenant) {
            items.add(item("machines", "/machines", "Machines", path));
            items.add(item("storage", "/storage", "Storage", path));
            items.add(item("buckets", "/storage/buckets", "Buckets", path));
            items.add(item("usage", "/usage", "Usage", path));
        }
        if (admin) {
            items.add(item("admin", "/admin", "Admin", path));
        }
        return List.copyOf(items);
    }

    private static Item item(String id, String href, String label, String path) {
        return new Item("nav-" + id, href, label, href.equals(sectionRoot(path)) || href.equals("/admin") && under(path, "/admin"));
    }

    /** The root of the section a path belongs to ("/machines/42/console" → "/machines"); "/" for anything else. */
    static String sectionRoot(String path) {
        if (under(path, "/storage/buckets")) {
            return "/storage/buckets";
        }
        for (String root : List.of("/machines", "/storage", "/usage")) {
            if (under(path, root)) {
                return root;
            }
        }
        return "/";
    }

    /** A safe place to go after a tenant switch: a section root as sent, else the dashboard. */
    static String safeReturn(String requested) {
        return requested != null && SECTION_ROOTS.contains(requested) ? requested : "/";
    }

    private static boolean under(String path, String root) {
        return path.equals(root) || path.startsWith(root + "/");
    }
}
