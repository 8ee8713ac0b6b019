package dev.berth.storage.bucket;

import dev.berth.common.InvalidInputException;
import dev.berth.common.NotFoundException;
import dev.berth.storage.key.KeyView;
import dev.berth.storage.key.MountInstructions;
import dev.berth.tenancy.CurrentUser;
import dev.berth.tenancy.TenantView;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/buckets")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Buckets")
public class BucketResource {
    @Inject
    BucketService buckets;
    @Inject
    CurrentUser user;

    /**
     * {@code sizeBytes} and {@code objects} count every version (current and non-current); delete markers are counted
     * apart. The usage is recorded, never listed on request: {@code usageExact} when kept from the instance's events
     * (since {@code usageCountedSince}), {@code usageUpdatedAt} when it last changed, {@code usageReconciledAt} the
     * last full listing.
     */
    public record BucketJson(String name, Instant createdAt, long sizeBytes, long objects, Instant lastModified,
                             boolean versioning, int keys, long currentObjects, long currentBytes, long noncurrentVersions,
                             long noncurrentBytes, long deleteMarkers, boolean usageExact, Instant usageCountedSince,
                             Instant usageUpdatedAt, Instant usageReconciledAt) {
        static BucketJson of(BucketService.BucketView v) {
            var i = v.info();
            var u = v.usage();
            return new BucketJson(i.name(), i.createdAt(), i.sizeBytes(), i.objects(), i.lastModified(), i.versioning(), v.keys(),
                    u.currentObjects(), u.currentBytes(), u.noncurrentVersions(), u.noncurrentBytes(), u.deleteMarkers(), u.exact(),
                    u.countedSince(), u.updatedAt(), u.reconciledAt());
        }
    }

    /** {@code usedBytes} is what the hard limit counts, {@code incompleteUploadBytes} of it in incomplete multipart uploads. */
    public record BucketList(List<BucketJson> items, long usedBytes, long softLimitBytes, long hardLimitBytes,
                             boolean writesBlocked, String warning, long incompleteUploadBytes, int incompleteUploads) {
    }

    public record NewBucket(String name) {
    }

    public record Versioning(Boolean enabled) {
    }

    public record NewKey(String mode, String expiresAt, String description) {
    }

    @GET
    @Operation(summary = "My tenant's buckets", description = "Size, object count (every version) and last change of each; 409 when storage is not active.")
    public BucketList list() {
        String t = tenant();
        List<BucketJson> items = buckets.buckets(t).stream().map(BucketJson::of).toList();
        BucketService.StorageState s = buckets.state(t);
        return new BucketList(items, s.bytes(), s.quota().storageSoftBytes(), s.quota().storageHardBytes(), s.writesBlocked(), s.warning(),
                s.incompleteUploadBytes(), s.incompleteUploads());
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Create a bucket", description = "400 names the broken S3 naming rule, or the existing bucket; 409 past the bucket quota.")
    public Response create(NewBucket body) {
        String name = body == null ? null : body.name();
        BucketService.BucketView v = buckets.create(user.actor(), tenant(), name);
        return Response.created(URI.create("/api/v1/buckets/" + v.name())).entity(BucketJson.of(v)).build();
    }

    @GET
    @Path("{name}")
    @Operation(summary = "One bucket")
    public BucketJson get(@PathParam("name") String name) {
        return BucketJson.of(buckets.bucket(tenant(), name));
    }

    @DELETE
    @Path("{name}")
    @Operation(summary = "Delete a bucket and its keys", description = "A bucket with objects needs ?confirm=<its name>; without it: 400 with the object count.")
    public Response delete(@PathParam("name") String name, @QueryParam("confirm") String confirm) {
        buckets.delete(user.actor(), tenant(), name, confirm);
        return Response.noContent().build();
    }

    @PUT
    @Path("{name}/versioning")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Turn versioning on or off", description = "Body: {\"enabled\": true|false}. Off suspends versioning; existing versions stay.")
    public BucketJson versioning(@PathParam("name") String name, Versioning body) {
        String t = tenant();
        if (body == null || body.enabled() == null) {
            buckets.bucket(t, name); // an unknown bucket is a 404 before a bad body is a 400
            throw InvalidInputException.of("enabled", "is required: true or false");
        }
        return BucketJson.of(buckets.setVersioning(user.actor(), t, name, body.enabled()));
    }

    @GET
    @Path("{name}/keys")
    @Operation(summary = "The bucket's access keys", description = "Every key of the tenant for this bucket, whoever created it. Never a secret.")
    public List<KeyView> keys(@PathParam("name") String name) {
        return buckets.keys(tenant(), name);
    }

    @POST
    @Path("{name}/keys")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Create an access key for this bucket",
            description = "mode: read-only or read-write; expiresAt: optional date, date-time or \"90d\"; description: at most 256 characters. "
                    + "The answer carries the secret and the mount snippets with it: this is the only time the secret is shown.")
    public Response createKey(@PathParam("name") String name, NewKey body) {
        NewKey b = body == null ? new NewKey(null, null, null) : body;
        BucketService.CreatedKey created = buckets.createKey(user.actor(), tenant(), name,
                new BucketRules.KeyInput(b.mode(), b.expiresAt(), b.description()));
        return Response.created(URI.create("/api/v1/buckets/" + name + "/keys/" + created.key().accessKey()))
                .header("Cache-Control", "no-store").entity(created).build();
    }

    @DELETE
    @Path("{name}/keys/{accessKey}")
    @Operation(summary = "Revoke an access key", description = "Immediate: the next request made with it fails.")
    public Response revoke(@PathParam("name") String name, @PathParam("accessKey") String accessKey) {
        buckets.revoke(user.actor(), tenant(), name, accessKey);
        return Response.noContent().build();
    }

    @GET
    @Path("{name}/keys/{accessKey}/mount")
    @Operation(summary = "Mount instructions for a key", description = "tool: s3fs, rclone, mc or awscli. The secret was shown once, so the snippets carry <SECRET> in its place.")
    public MountInstructions.ToolSnippets mount(@PathParam("name") String name, @PathParam("accessKey") String accessKey,
                                                @QueryParam("tool") String tool) {
        String t = tenant();
        MountInstructions.Tool parsed = MountInstructions.Tool.parse(tool == null ? "s3fs" : tool).orElse(null);
        if (parsed == null) {
            buckets.key(t, name, accessKey);
            throw InvalidInputException.of("tool", "must be s3fs, rclone, mc or awscli");
        }
        return buckets.mount(t, name, accessKey, parsed);
    }

    private String tenant() {
        return user.currentTenant().map(TenantView::slug)
                .orElseThrow(() -> new NotFoundException("You belong to no tenant, so there are no buckets."));
    }
}
