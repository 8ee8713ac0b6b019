package dev.berth.web;

import dev.berth.tenancy.TenantView;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import java.util.List;

/** Type-safe templates under {@code templates/web/}. */
@CheckedTemplate(basePath = "web")
public final class Pages {
    private Pages() {
    }

    public static native TemplateInstance noTenant();

    public static native TemplateInstance admin(long tenantCount, List<TenantView> tenants);

    public static native TemplateInstance signedOut();

    /** Where GET /logout leads: signing out is a POST (see SameOriginFilter). */
    public static native TemplateInstance signOut();

    /** Error page inside the normal frame; {@link Navigation} keeps it renderable where no user or request scope exists. */
    public static native TemplateInstance error(int status, String title, String detail, String requestId);
}
