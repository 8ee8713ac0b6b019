package dev.berth.storage.key;

import dev.berth.storage.bucket.BucketService;
import dev.berth.tenancy.CurrentUser;
import dev.berth.tenancy.Roles;
import dev.berth.tenancy.TenantService;
import dev.berth.web.Flash;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;

/** The admin page of a tenant's keys: every key, whoever created it, each revocable. */
@Path("/admin/tenants/{slug}/keys")
@RolesAllowed(Roles.ADMIN)
@Produces(MediaType.TEXT_HTML)
public class AdminKeyPages {
    @Inject
    BucketService buckets;
    @Inject
    TenantService tenants;
    @Inject
    CurrentUser user;

    @CheckedTemplate(basePath = "storage")
    static class Templates {
        static native TemplateInstance adminKeys(String tenant, List<KeyView> keys);
    }

    @GET
    public TemplateInstance page(@PathParam("slug") String slug) {
        tenants.get(slug);
        return Templates.adminKeys(slug, buckets.allKeys(slug));
    }

    @POST
    @Path("{accessKey}/revoke")
    @Consumes(MediaType.WILDCARD)
    public Response revoke(@PathParam("slug") String slug, @PathParam("accessKey") String accessKey) {
        tenants.get(slug);
        buckets.revokeAny(user.actor(), slug, accessKey);
        return Flash.redirect("/admin/tenants/" + slug + "/keys", "Key " + accessKey + " of " + slug + " revoked.");
    }
}
