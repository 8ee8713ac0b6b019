package dev.berth.compute;

import dev.berth.common.NotFoundException;
import dev.berth.tenancy.CurrentUser;
import dev.berth.tenancy.Roles;
import dev.berth.tenancy.TenantView;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Images and flavours: administrators manage them; a tenant's members list what they may choose. */
public class CatalogResource {
    private CatalogResource() {
    }

    @Path("/api/v1/admin/images")
    @Produces(MediaType.APPLICATION_JSON)
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.ADMIN)
    @Tag(name = "Admin: images and flavours")
    public static class AdminImages {
        @Inject
        Catalog catalog;
        @Inject
        CurrentUser user;

        @GET
        @Operation(summary = "Registered base images, per host")
        public List<Catalog.ImageView> list() {
            return catalog.images();
        }

        @POST
        @Operation(summary = "Register a base image: a volume already in a storage pool of a KVM host",
                description = "400 when the pool has no such volume; 409 when the host does not answer.")
        public Response create(Catalog.ImageInput input) {
            Catalog.ImageView v = catalog.registerImage(user.actor(), input);
            return Response.created(URI.create("/api/v1/admin/images/" + v.id())).entity(v).build();
        }

        @DELETE
        @Path("{id}")
        @Operation(summary = "Remove an image from the catalogue (the volume stays); 409 while machines are based on it")
        public Response delete(@PathParam("id") long id) {
            catalog.deleteImage(user.actor(), id);
            return Response.noContent().build();
        }
    }

    @Path("/api/v1/admin/flavours")
    @Produces(MediaType.APPLICATION_JSON)
    @Consumes(MediaType.APPLICATION_JSON)
    @RolesAllowed(Roles.ADMIN)
    @Tag(name = "Admin: images and flavours")
    public static class AdminFlavours {
        @Inject
        Catalog catalog;
        @Inject
        CurrentUser user;

        @GET
        @Operation(summary = "Every flavour, public and per tenant")
        public List<Catalog.FlavourView> list() {
            return catalog.flavours();
        }

        @POST
        @Operation(summary = "Create a flavour (tenant absent: offered to every tenant)")
        public Response create(Catalog.FlavourInput input) {
            Catalog.FlavourView v = catalog.createFlavour(user.actor(), input);
            return Response.created(URI.create("/api/v1/admin/flavours/" + v.id())).entity(v).build();
        }

        @DELETE
        @Path("{id}")
        @Operation(summary = "Remove a flavour; machines made with it keep their size")
        public Response delete(@PathParam("id") long id) {
            catalog.deleteFlavour(user.actor(), id);
            return Response.noContent().build();
        }
    }

    @Path("/api/v1/images")
    @Produces(MediaType.APPLICATION_JSON)
    @Tag(name = "Machines")
    public static class OfferedImages {
        @Inject
        Catalog catalog;
        @Inject
        CurrentUser user;

        @GET
        @Operation(summary = "Images my tenant may create machines from")
        public List<Catalog.OfferedImage> images() {
            tenant(user);
            return catalog.offeredImages();
        }
    }

    @Path("/api/v1/flavours")
    @Produces(MediaType.APPLICATION_JSON)
    @Tag(name = "Machines")
    public static class OfferedFlavours {
        @Inject
        Catalog catalog;
        @Inject
        CurrentUser user;

        @GET
        @Operation(summary = "Flavours my tenant may choose: the public ones and its own")
        public List<Catalog.FlavourView> flavours() {
            return catalog.offeredFlavours(tenant(user));
        }
    }

    static String tenant(CurrentUser user) {
        return user.currentTenant().map(TenantView::slug)
                .orElseThrow(() -> new NotFoundException("You belong to no tenant, so there is nothing to create machines for."));
    }
}
