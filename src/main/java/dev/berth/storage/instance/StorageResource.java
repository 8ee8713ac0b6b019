package dev.berth.storage.instance;

import dev.berth.common.NotFoundException;
import dev.berth.tenancy.CurrentUser;
import dev.berth.tenancy.TenantView;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/storage")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Storage")
public class StorageResource {
    @Inject
    StorageService storage;
    @Inject
    CurrentUser user;
    @Inject
    TlsAuthority tls;

    @GET
    @Path("ca")
    @Produces("application/x-pem-file")
    @Operation(summary = "The storage CA certificate (PEM)", description = "Every tenant instance serves a certificate issued by this CA; install it on the machines that mount buckets (see the mount snippets).")
    public Response ca() {
        return Response.ok(tls.caPem()).header("Content-Disposition", "attachment; filename=\"berth-ca.crt\"").build();
    }

    /** The CA certificate and its fingerprint, for JSON clients. */
    public record Ca(String certificate, String sha256Fingerprint) {
    }

    @GET
    @Path("ca")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "The storage CA certificate (JSON)", description = "The PEM certificate and its SHA-256 fingerprint; ask for application/x-pem-file to get the file itself.")
    public Ca caJson() {
        return new Ca(tls.caPem(), tls.caFingerprint());
    }

    @GET
    @Operation(summary = "My tenant's storage instance", description = "Status and progress (steps), endpoint, limits, last error. status NOT_ACTIVATED when there is none.")
    public StorageView get() {
        return storage.of(tenant());
    }

    @POST
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "Activate storage", description = "Records the instance and returns at once (202); poll GET for progress. 200 with the existing instance when there is one.")
    public Response activate() {
        StorageService.Activation a = storage.activate(user.actor(), tenant());
        return (a.created() ? Response.accepted() : Response.ok()).location(URI.create("/api/v1/storage"))
                .entity(a.instance()).build();
    }

    private String tenant() {
        return user.currentTenant().map(TenantView::slug)
                .orElseThrow(() -> new NotFoundException("You belong to no tenant, so there is no storage to show."));
    }
}
