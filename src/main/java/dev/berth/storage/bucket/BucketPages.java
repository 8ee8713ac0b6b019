package dev.berth.storage.bucket;

import dev.berth.common.ConflictException;
import dev.berth.common.InvalidInputException;
import dev.berth.common.NotFoundException;
import dev.berth.storage.StorageNotActiveException;
import dev.berth.storage.key.KeyView;
import dev.berth.storage.key.MountInstructions;
import dev.berth.tenancy.CurrentUser;
import dev.berth.tenancy.Meter;
import dev.berth.tenancy.TenantService;
import dev.berth.tenancy.TenantView;
import dev.berth.web.Flash;
import dev.berth.web.FormErrors;
import dev.berth.web.Pager;
import dev.berth.web.Paging;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.resteasy.reactive.RestForm;

/** The tenant's bucket pages: list and create, one bucket with its keys, the once-only secret, mount instructions. */
@Path("/storage/buckets")
@Produces(MediaType.TEXT_HTML)
public class BucketPages {
    static final int PAGE_SIZE = 50;
    static final List<String> STORAGE_METERS = List.of("Buckets", "Storage", "Access keys");

    @Inject
    BucketService buckets;
    @Inject
    TenantService tenants;
    @Inject
    CurrentUser user;

    @CheckedTemplate(basePath = "storage")
    static class Templates {
        static native TemplateInstance buckets(TenantView tenant, String inactive, List<BucketService.BucketView> buckets, Pager pager,
                                               List<Meter> meters, String warning, String newName, FormErrors errors);

        static native TemplateInstance bucket(BucketService.BucketView bucket, List<KeyView> keys, String warning,
                                              String mode, String expiresAt, String description, FormErrors errors);

        static native TemplateInstance confirmDeleteBucket(BucketService.BucketView bucket, FormErrors errors);

        static native TemplateInstance confirmRevoke(String bucket, KeyView key);

        static native TemplateInstance secret(BucketService.CreatedKey created, String bucket, String downloadName, String downloadHref);

        static native TemplateInstance mount(String bucket, KeyView key, List<MountInstructions.ToolSnippets> tools);
    }

    @GET
    public Response list(@QueryParam("page") @DefaultValue("0") int page, @QueryParam("size") Integer size) {
        Optional<TenantView> tenant = user.currentTenant();
        if (tenant.isEmpty()) {
            return user.isAdmin() ? Response.seeOther(URI.create("/admin/tenants")).build()
                    : Response.ok(dev.berth.web.Pages.noTenant()).build();
        }
        return Response.ok(listPage(tenant.get(), Paging.clamp(page), Pager.size(size, PAGE_SIZE), "", FormErrors.none())).build();
    }

    @POST
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response create(@RestForm String name) {
        TenantView tenant = tenant();
        try {
            BucketService.BucketView b = buckets.create(user.actor(), tenant.slug(), name);
            return Flash.redirect("/storage/buckets/" + b.name(), "Bucket " + b.name() + " created. Create a key to mount it.");
        } catch (InvalidInputException e) {
            return Response.status(400).entity(listPage(tenant, 0, name, FormErrors.of(e))).build();
        } catch (ConflictException e) {
            return Response.status(409).entity(listPage(tenant, 0, name, FormErrors.message(e.getMessage()))).build();
        }
    }

    @GET
    @Path("{name}")
    public TemplateInstance bucket(@PathParam("name") String name) {
        return bucketPage(name, "read-write", "", "", FormErrors.none());
    }

    @POST
    @Path("{name}/versioning")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response versioning(@PathParam("name") String name, @RestForm boolean enabled) {
        buckets.setVersioning(user.actor(), tenant().slug(), name, enabled);
        return Flash.redirect("/storage/buckets/" + name, "Versioning of " + name + (enabled ? " is on." : " is suspended; existing versions stay."));
    }

    @GET
    @Path("{name}/delete")
    public TemplateInstance confirmDeleteBucket(@PathParam("name") String name) {
        return Templates.confirmDeleteBucket(buckets.bucket(tenant().slug(), name), FormErrors.none());
    }

    @POST
    @Path("{name}/delete")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response delete(@PathParam("name") String name, @RestForm String confirm) {
        String slug = tenant().slug();
        try {
            buckets.delete(user.actor(), slug, name, confirm);
        } catch (InvalidInputException e) {
            return Response.status(400).entity(Templates.confirmDeleteBucket(buckets.bucket(slug, name), FormErrors.of(e))).build();
        }
        return Flash.redirect("/storage/buckets", "Bucket " + name + " deleted, with its objects and keys.");
    }

    /** Creates a key and shows its secret, this once; the answer must not be cached anywhere. */
    @POST
    @Path("{name}/keys")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response createKey(@PathParam("name") String name, @RestForm String mode, @RestForm String expiresAt, @RestForm String description) {
        String slug = tenant().slug();
        try {
            BucketService.CreatedKey created = buckets.createKey(user.actor(), slug, name, new BucketRules.KeyInput(mode, expiresAt, description));
            String href = "data:text/plain;charset=utf-8," + URLEncoder.encode(created.download(), StandardCharsets.UTF_8).replace("+", "%20");
            return Response.ok(Templates.secret(created, name, "berth-" + name + "-" + created.key().accessKey() + ".txt", href))
                    .header("Cache-Control", "no-store").build();
        } catch (InvalidInputException e) {
            return Response.status(400).entity(bucketPage(name, mode, expiresAt, description, FormErrors.of(e))).build();
        } catch (ConflictException e) {
            return Response.status(409).entity(bucketPage(name, mode, expiresAt, description, FormErrors.message(e.getMessage()))).build();
        }
    }

    @GET
    @Path("{name}/keys/{accessKey}/revoke")
    public TemplateInstance confirmRevoke(@PathParam("name") String name, @PathParam("accessKey") String accessKey) {
        return Templates.confirmRevoke(name, buckets.key(tenant().slug(), name, accessKey));
    }

    @POST
    @Path("{name}/keys/{accessKey}/revoke")
    @Consumes(MediaType.WILDCARD)
    public Response revoke(@PathParam("name") String name, @PathParam("accessKey") String accessKey) {
        buckets.revoke(user.actor(), tenant().slug(), name, accessKey);
        return Flash.redirect("/storage/buckets/" + name, "Key " + accessKey + " revoked: it no longer works.");
    }

    @GET
    @Path("{name}/keys/{accessKey}/mount")
    public TemplateInstance mount(@PathParam("name") String name, @PathParam("accessKey") String accessKey) {
        String slug = tenant().slug();
        KeyView key = buckets.key(slug, name, accessKey);
        return Templates.mount(name, key, MountInstructions.all(buckets.mountTarget(slug, name, accessKey)));
    }

    private TemplateInstance listPage(TenantView tenant, int page, String newName, FormErrors errors) {
        return listPage(tenant, page, PAGE_SIZE, newName, errors);
    }

    private TemplateInstance listPage(TenantView tenant, int page, int size, String newName, FormErrors errors) {
        List<Meter> meters = Meter.of(tenants.quota(tenant.slug()), tenants.usage(tenant.slug())).stream()
                .filter(m -> STORAGE_METERS.contains(m.name())).toList();
        List<BucketService.BucketView> all;
        String inactive = null;
        try {
            all = buckets.buckets(tenant.slug());
        } catch (StorageNotActiveException e) {
            all = List.of();
            inactive = e.getMessage();
        } catch (ConflictException e) {
            all = List.of();
            inactive = e.getMessage(); // the instance did not answer: say so, show what is known
        }
        Pager pager = Pager.of("/storage/buckets", Map.of(), page, size, all.size());
        String warning = inactive == null ? buckets.state(tenant.slug()).warning() : null;
        return Templates.buckets(tenant, inactive, new Paging(page, size).slice(all), pager, meters, warning,
                newName == null ? "" : newName, errors);
    }

    private TemplateInstance bucketPage(String name, String mode, String expiresAt, String description, FormErrors errors) {
        String slug = tenant().slug();
        BucketService.BucketView b = buckets.bucket(slug, name);
        return Templates.bucket(b, buckets.keys(slug, name), buckets.state(slug).warning(),
                mode == null ? "read-write" : mode, expiresAt == null ? "" : expiresAt, description == null ? "" : description, errors);
    }

    private TenantView tenant() {
        return user.currentTenant().orElseThrow(() -> new NotFoundException("You belong to no tenant, so there are no buckets."));
    }
}
