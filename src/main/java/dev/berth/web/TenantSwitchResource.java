package dev.berth.web;

import dev.berth.tenancy.CurrentUser;
import dev.berth.tenancy.TenancyConfig;
import dev.berth.tenancy.TenantView;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.ForbiddenException;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.NewCookie;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** Switches the tenant the pages act for; remembered in a cookie, re-checked against membership on every request. */
@Path("/tenant")
public class TenantSwitchResource {
    @Inject
    CurrentUser user;
    @Inject
    TenancyConfig config;

    @POST
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @Operation(hidden = true)
    public Response switchTo(@FormParam("slug") String slug, @FormParam("return") String returnTo) {
        boolean member = slug != null && user.tenants().stream().map(TenantView::slug).anyMatch(slug::equals);
        if (!member) {
            throw new ForbiddenException("You are not a member of tenant '" + slug + "'.");
        }
        var cookie = new NewCookie.Builder(config.cookie()).value(slug).path("/").httpOnly(true)
                .sameSite(NewCookie.SameSite.LAX).build();
        // Back to the section the user was in (its root: a machine id of the old tenant would be a 404 in the new one).
        return Response.seeOther(URI.create(Navigation.safeReturn(returnTo))).cookie(cookie).build();
    }
}
