package dev.berth.compute;

import dev.berth.common.ConflictException;
import dev.berth.common.InvalidInputException;
import dev.berth.hosts.HostKind;
import dev.berth.hosts.HostService;
import dev.berth.hosts.HostView;
import dev.berth.tenancy.CurrentUser;
import dev.berth.tenancy.Roles;
import dev.berth.web.Flash;
import dev.berth.web.FormErrors;
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
import org.jboss.resteasy.reactive.RestForm;

/** Admin pages for images and flavours: a list with a form to add one, and removal. */
public class CatalogPages {
    private CatalogPages() {
    }

    @CheckedTemplate(basePath = "compute")
    static class Templates {
        static native TemplateInstance images(List<Catalog.ImageView> images, List<HostView> hosts, Catalog.ImageInput typed, FormErrors errors);

        static native TemplateInstance flavours(List<Catalog.FlavourView> flavours, Catalog.FlavourInput typed, FormErrors errors);
    }

    @Path("/admin/images")
    @RolesAllowed(Roles.ADMIN)
    @Produces(MediaType.TEXT_HTML)
    public static class Images {
        @Inject
        Catalog catalog;
        @Inject
        HostService hosts;
        @Inject
        CurrentUser user;

        @GET
        public TemplateInstance list() {
            return page(new Catalog.ImageInput("", "", "", "", "", true, null, "", ""), FormErrors.none());
        }

        @POST
        @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
        public Response register(@RestForm String name, @RestForm String os, @RestForm String format, @RestForm String minDisk,
                                 @RestForm String minMemory, @RestForm String cloudInit, @RestForm String hostId,
                                 @RestForm String pool, @RestForm String volume) {
            Long host = null;
            try {
                host = hostId == null || hostId.isBlank() ? null : Long.valueOf(hostId.trim());
            } catch (NumberFormatException e) {
                // the service says "hostId is required"
            }
            var typed = new Catalog.ImageInput(name, os, format, minDisk, minMemory, cloudInit != null, host, pool, volume);
            try {
                catalog.registerImage(user.actor(), typed);
            } catch (InvalidInputException e) {
                return Response.status(400).entity(page(typed, FormErrors.of(e))).build();
            } catch (ConflictException e) {
                return Response.status(409).entity(page(typed, FormErrors.message(e.getMessage()))).build();
            }
            return Flash.redirect("/admin/images", "Image " + name + " registered.");
        }

        @POST
        @Path("{id}/delete")
        @Consumes(MediaType.WILDCARD)
        public Response delete(@PathParam("id") long id) {
            try {
                catalog.deleteImage(user.actor(), id);
            } catch (ConflictException e) {
                return Flash.redirect("/admin/images", e.getMessage());
            }
            return Flash.redirect("/admin/images", "Image removed from the catalogue (its volume stays on the host).");
        }

        private TemplateInstance page(Catalog.ImageInput typed, FormErrors errors) {
            return Templates.images(catalog.images(), hosts.list().stream().filter(h -> h.kind() == HostKind.KVM).toList(), typed, errors);
        }
    }

    @Path("/admin/flavours")
    @RolesAllowed(Roles.ADMIN)
    @Produces(MediaType.TEXT_HTML)
    public static class Flavours {
        @Inject
        Catalog catalog;
        @Inject
        CurrentUser user;

        @GET
        public TemplateInstance list() {
            return page(new Catalog.FlavourInput("", "", "", "", ""), FormErrors.none());
        }

        @POST
        @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
        public Response create(@RestForm String name, @RestForm String vcpus, @RestForm String memory, @RestForm String disk,
                               @RestForm String tenant) {
            var typed = new Catalog.FlavourInput(name, vcpus, memory, disk, tenant);
            try {
                catalog.createFlavour(user.actor(), typed);
            } catch (InvalidInputException e) {
                return Response.status(400).entity(page(typed, FormErrors.of(e))).build();
            }
            return Flash.redirect("/admin/flavours", "Flavour " + name + " created.");
        }

        @POST
        @Path("{id}/delete")
        @Consumes(MediaType.WILDCARD)
        public Response delete(@PathParam("id") long id) {
            catalog.deleteFlavour(user.actor(), id);
            return Flash.redirect("/admin/flavours", "Flavour removed.");
        }

        private TemplateInstance page(Catalog.FlavourInput typed, FormErrors errors) {
            return Templates.flavours(catalog.flavours(), typed, errors);
        }
    }
}
