package dev.berth.hosts;

import dev.berth.common.ConflictException;
import dev.berth.common.InvalidInputException;
import dev.berth.tenancy.CurrentUser;
import dev.berth.tenancy.Roles;
import dev.berth.web.Flash;
import dev.berth.web.FormErrors;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.jboss.resteasy.reactive.RestForm;

/** Admin pages for hosts: list, register, edit, enable/disable, test connection, remove. */
@Path("/admin/hosts")
@RolesAllowed(Roles.ADMIN)
@Produces(MediaType.TEXT_HTML)
public class HostPages {
    @Inject
    HostService hosts;
    @Inject
    HostProber prober;
    @Inject
    CurrentUser user;

    @CheckedTemplate(basePath = "hosts")
    static class Templates {
        static native TemplateInstance list(List<HostView> hosts);

        static native TemplateInstance form(Long id, HostInput host, FormErrors errors, boolean keyStored);

        static native TemplateInstance confirmDelete(HostView host, List<String> residents, FormErrors errors);

        static native TemplateInstance probeResult(HostView host);
    }

    @GET
    public TemplateInstance list() {
        return Templates.list(hosts.list());
    }

    @GET
    @Path("new")
    public TemplateInstance newForm() {
        return Templates.form(null, new HostInput("", "KVM", "", "", "", true, "", "", ""), FormErrors.none(), false);
    }

    @POST
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response create(@BeanParam HostForm form) {
        try {
            HostView h = hosts.create(user.actor(), form.toInput());
            Thread.ofVirtual().start(() -> prober.probe(h.id())); // the list shows the result on its next load
            return Flash.redirect("/admin/hosts", "Host " + h.name() + " registered; its first probe runs now.");
        } catch (InvalidInputException e) {
            return invalid(Templates.form(null, withoutKey(form), FormErrors.of(e), false));
        }
    }

    @GET
    @Path("{id}")
    public TemplateInstance edit(@PathParam("id") long id) {
        HostView h = hosts.get(id);
        var input = new HostInput(h.name(), h.kind().name(), h.uri(), h.storageAddress(), h.labelsText(), h.enabled(),
                "", "", "");
        return Templates.form(id, input, FormErrors.none(), h.tlsConfigured());
    }

    @POST
    @Path("{id}")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response update(@PathParam("id") long id, @BeanParam HostForm form) {
        HostView before = hosts.get(id);
        try {
            HostView h = hosts.update(user.actor(), id, form.toInput());
            return Flash.redirect("/admin/hosts", "Host " + h.name() + " saved.");
        } catch (InvalidInputException e) {
            return invalid(Templates.form(id, withoutKey(form), FormErrors.of(e), before.tlsConfigured()));
        }
    }

    @POST
    @Path("{id}/enabled")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response setEnabled(@PathParam("id") long id, @RestForm boolean enabled) {
        HostView h = hosts.setEnabled(user.actor(), id, enabled);
        return Flash.redirect("/admin/hosts", "Host " + h.name() + (enabled ? " enabled." : " disabled: Berth no longer probes it or places anything on it."));
    }

    @GET
    @Path("{id}/delete")
    public TemplateInstance confirmDelete(@PathParam("id") long id) {
        return Templates.confirmDelete(hosts.get(id), hosts.residentsOn(id), FormErrors.none());
    }

    @POST
    @Path("{id}/delete")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response delete(@PathParam("id") long id) {
        HostView h = hosts.get(id);
        try {
            hosts.delete(user.actor(), id);
            return Flash.redirect("/admin/hosts", "Host " + h.name() + " removed.");
        } catch (ConflictException e) {
            return Response.status(409).entity(Templates.confirmDelete(h, hosts.residentsOn(id), FormErrors.message(e.getMessage()))).build();
        }
    }

    /** "Test connection": answers within the probe timeout with the facts or the exact error (an htmx fragment). */
    @POST
    @Path("{id}/probe")
    public Response probe(@PathParam("id") long id, @HeaderParam("HX-Request") String htmx) {
        HostView h = prober.probe(id);
        if (htmx != null) {
            return Response.ok(Templates.probeResult(h)).build();
        }
        String message = "up".equals(h.status()) ? "Host " + h.name() + " answered in " + h.lastProbe().latencyMillis() + " ms."
                : "Host " + h.name() + " is down: " + (h.lastProbe() == null ? "not probed" : h.lastProbe().error());
        return Flash.redirect("/admin/hosts", message);
    }

    /** A rejected form comes back filled in, except the key: a secret is never echoed into a page. */
    private static HostInput withoutKey(HostForm f) {
        HostInput in = f.toInput();
        return new HostInput(in.name(), in.kind(), in.uri(), in.storageAddress(), in.labels(), in.enabled(),
                in.tlsCaPem(), in.tlsCertPem(), "");
    }

    private static Response invalid(TemplateInstance page) {
        return Response.status(400).entity(page).build();
    }
}
