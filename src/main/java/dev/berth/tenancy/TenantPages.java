package dev.berth.tenancy;

import dev.berth.common.InvalidInputException;
import dev.berth.web.Flash;
import dev.berth.web.FormErrors;
import dev.berth.web.Pager;
import dev.berth.web.Paging;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.BeanParam;
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
import java.util.List;
import java.util.Map;
import org.jboss.resteasy.reactive.RestForm;

/** Admin pages for tenants: list with usage against quota, create, suspend/resume, quota form. */
@Path("/admin/tenants")
@RolesAllowed(Roles.ADMIN)
@Produces(MediaType.TEXT_HTML)
public class TenantPages {
    static final int PAGE_SIZE = 20;

    @Inject
    TenantService tenants;
    @Inject
    CurrentUser user;

    /** A row of the list: the tenant and its usage bars. */
    public record Row(TenantView tenant, List<Meter> meters) {
    }

    @CheckedTemplate(basePath = "tenancy")
    static class Templates {
        static native TemplateInstance list(List<Row> rows, String q, Pager pager, String newSlug, String newName, FormErrors errors);

        static native TemplateInstance detail(TenantView tenant, List<Meter> meters, QuotaInput quota, Map<String, String> inUse,
                                              FormErrors errors);
    }

    @GET
    public TemplateInstance list(@QueryParam("q") String q, @QueryParam("page") @DefaultValue("0") int page,
                                 @QueryParam("size") Integer size) {
        return listPage(q, Paging.clamp(page), Pager.size(size, PAGE_SIZE), null, null, FormErrors.none());
    }

    @POST
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response create(@RestForm String slug, @RestForm String name) {
        try {
            TenantView t = tenants.create(user.actor(), slug, name);
            return Flash.redirect("/admin/tenants/" + t.slug(), "Tenant " + t.slug() + " created with the default quota.");
        } catch (InvalidInputException e) {
            return Response.status(400).entity(listPage(null, 0, PAGE_SIZE, slug, name, FormErrors.of(e))).build();
        }
    }

    @GET
    @Path("{slug}")
    public TemplateInstance detail(@PathParam("slug") String slug) {
        return detailPage(slug, null, FormErrors.none());
    }

    @POST
    @Path("{slug}/quota")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response setQuota(@PathParam("slug") String slug, @BeanParam QuotaForm form) {
        tenants.get(slug);
        try {
            tenants.setQuota(user.actor(), slug, form.toInput());
            return Flash.redirect("/admin/tenants/" + slug, "Quota of " + slug + " saved.");
        } catch (InvalidInputException e) {
            return Response.status(400).entity(detailPage(slug, form.toInput(), FormErrors.of(e))).build();
        }
    }

    @POST
    @Path("{slug}/suspended")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response setSuspended(@PathParam("slug") String slug, @RestForm boolean suspended, @RestForm boolean keepDataAccess) {
        tenants.setSuspended(user.actor(), slug, suspended, keepDataAccess);
        return Flash.redirect("/admin/tenants/" + slug, "Tenant " + slug + (!suspended ? " resumed."
                : keepDataAccess ? " suspended; its access keys keep working." : " suspended; its access keys are disabled."));
    }

    @POST
    @Path("{slug}/name")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response rename(@PathParam("slug") String slug, @RestForm String name) {
        tenants.get(slug);
        try {
            tenants.rename(user.actor(), slug, name);
            return Flash.redirect("/admin/tenants/" + slug, "Tenant " + slug + " renamed.");
        } catch (InvalidInputException e) {
            return Response.status(400).entity(detailPage(slug, null, FormErrors.of(e))).build();
        }
    }

    private TemplateInstance listPage(String q, int page, int size, String newSlug, String newName, FormErrors errors) {
        TenantService.TenantPage p = tenants.search(q, page, size);
        List<Row> rows = p.items().stream()
                .map(t -> new Row(t, Meter.of(tenants.quota(t.slug()), tenants.usage(t.slug())))).toList();
        Pager pager = Pager.of("/admin/tenants", Map.of("q", q == null ? "" : q), page, size, p.total());
        return Templates.list(rows, q == null ? "" : q, pager, newSlug == null ? "" : newSlug, newName == null ? "" : newName, errors);
    }

    private TemplateInstance detailPage(String slug, QuotaInput typed, FormErrors errors) {
        TenantView t = tenants.get(slug);
        QuotaLimits q = tenants.quota(slug);
        TenantUsage u = tenants.usage(slug);
        return Templates.detail(t, Meter.of(q, u), typed != null ? typed : q.asInput(), inUse(u), errors);
    }

    /** What the tenant uses now, beside each limit of the quota form (keyed by the form's field names). */
    static Map<String, String> inUse(TenantUsage u) {
        var m = new java.util.HashMap<String, String>();
        m.put("vms", u.vms() + (u.vms() == 1 ? " machine" : " machines"));
        m.put("vcpus", u.vcpus() + " vCPUs");
        m.put("memory", dev.berth.common.ByteSize.format(u.memoryBytes()));
        m.put("disk", dev.berth.common.ByteSize.format(u.diskBytes()));
        m.put("buckets", u.buckets() + (u.buckets() == 1 ? " bucket" : " buckets"));
        m.put("storageSoft", dev.berth.common.ByteSize.format(u.storageBytes()));
        m.put("storageHard", dev.berth.common.ByteSize.format(u.storageBytes()));
        m.put("accessKeys", u.accessKeys() + (u.accessKeys() == 1 ? " key" : " keys"));
        return m;
    }
}
