package dev.berth.storage.instance;

import dev.berth.common.ConflictException;
import dev.berth.common.InvalidInputException;
import dev.berth.tenancy.CurrentUser;
import dev.berth.tenancy.Roles;
import dev.berth.web.Flash;
import dev.berth.web.FormErrors;
import dev.berth.web.Pager;
import dev.berth.web.Paging;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import jakarta.annotation.security.RolesAllowed;
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
import java.util.Map;
import org.jboss.resteasy.reactive.RestForm;

/** Admin pages for storage instances: list with orphans, suspend, resume, and delete after typed confirmation. */
@Path("/admin/storage")
@RolesAllowed(Roles.ADMIN)
@Produces(MediaType.TEXT_HTML)
public class AdminStoragePages {
    static final int PAGE_SIZE = 20;

    @Inject
    StorageService storage;
    @Inject
    CurrentUser user;

    @CheckedTemplate(basePath = "storage")
    static class Templates {
        static native TemplateInstance admin(StorageService.AdminPage list, Pager pager);

        static native TemplateInstance confirmDelete(StorageView instance, FormErrors errors, String data);
    }

    @GET
    public TemplateInstance list(@QueryParam("page") @DefaultValue("0") int page, @QueryParam("size") Integer size) {
        int rows = Pager.size(size, PAGE_SIZE);
        int p = Paging.clamp(page);
        StorageService.AdminPage list = storage.list(p, rows);
        return Templates.admin(list, Pager.of("/admin/storage", Map.of(), p, rows, list.total()));
    }

    @POST
    @Path("{id}/suspend")
    @Consumes(MediaType.WILDCARD)
    public Response suspend(@PathParam("id") long id) {
        StorageView v = storage.suspend(user.actor(), id);
        return Flash.redirect("/admin/storage", "SUSPENDED".equals(v.status()) ? "Storage of " + v.tenant() + " suspended."
                : "Storage of " + v.tenant() + " will be stopped once its host answers.");
    }

    @POST
    @Path("{id}/resume")
    @Consumes(MediaType.WILDCARD)
    public Response resume(@PathParam("id") long id) {
        StorageView v = storage.resume(user.actor(), id);
        return Flash.redirect("/admin/storage", "Storage of " + v.tenant() + " is being resumed.");
    }

    @GET
    @Path("{id}/delete")
    public TemplateInstance confirmDelete(@PathParam("id") long id) {
        return Templates.confirmDelete(storage.get(id), FormErrors.none(), "keep");
    }

    @POST
    @Path("{id}/delete")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response delete(@PathParam("id") long id, @RestForm String data, @RestForm String confirm) {
        StorageView v = storage.get(id);
        try {
            storage.delete(user.actor(), id, data, confirm);
        } catch (InvalidInputException e) {
            return Response.status(400).entity(Templates.confirmDelete(v, FormErrors.of(e), data == null ? "keep" : data)).build();
        } catch (ConflictException e) {
            return Response.status(409).entity(Templates.confirmDelete(v, FormErrors.message(e.getMessage()), data)).build();
        }
        return Flash.redirect("/admin/storage", "Storage of " + v.tenant() + " deleted"
                + ("delete".equals(data) ? ", with its data." : "; its data is kept."));
    }
}
