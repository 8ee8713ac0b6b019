package dev.berth.storage.usage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.berth.common.InvalidInputException;
import dev.berth.common.NotFoundException;
import dev.berth.storage.InstanceAccess;
import dev.berth.storage.InstanceDirectory;
import dev.berth.storage.instance.InstanceSpec;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * Where each tenant's MinIO instance posts its bucket events (its webhook target, configured by {@link InstanceSpec}):
 * any replica takes them. Not for people: the caller proves it is the tenant's instance with the token derived from the
 * instance's root password ({@code Authorization: BerthEvents <token>}; not "Bearer", which the OIDC layer would take
 * for a sign-in). A refusal or failure is not lost: MinIO keeps the event in its queue and sends it again.
 */
@Path("/internal/storage/events")
@Tag(name = "Internal")
public class StorageEventResource {
    public static final String SCHEME = "BerthEvents";
    /** {@code ?delivery=direct}: the instance's direct target (no queue behind it), see {@link #receive}. */
    public static final String DIRECT = "direct";

    @Inject
    InstanceDirectory instances;
    @Inject
    RecentEvents recent;
    @Inject
    EventBatcher batcher;
    @Inject
    StorageLimitEnforcer enforcer;
    @Inject
    ObjectMapper json;

    /** Token by tenant, as last derived: one HMAC per instance, not per event. */
    private final Map<Long, String[]> tokens = new ConcurrentHashMap<>();

    public static String url(String base, long tenantId) {
        return (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/internal/storage/events/" + tenantId;
    }

    @POST
    @Path("{tenantId}")
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "Bucket events of a tenant's instance (MinIO's webhook target; not for people)", hidden = true)
    public Response receive(@PathParam("tenantId") String tenant, @HeaderParam("Authorization") String authorization,
                            @QueryParam("delivery") String delivery, String body) {
        long tenantId;
        try {
            tenantId = Long.parseLong(tenant);
        } catch (NumberFormatException e) {
            throw new NotFoundException("No such instance.");
        }
        if (!authorized(tenantId, authorization)) {
            return Response.status(401).header("WWW-Authenticate", SCHEME).build();
        }
        // The twin delivery of what this replica applied already costs no transaction (RecentEvents).
        List<UsageLedger.Event> events = recent.unseen(tenantId, parse(body));
        if (events.isEmpty()) {
            return Response.noContent().build();
        }
        // The direct target's deliveries are applied in batches behind the answer (EventBatcher: their queued twins
        // are the durable copy); the queued target's only once applied, so that what it drops from its queue is in.
        if (DIRECT.equals(delivery) && batcher.offer(tenantId, events)) {
            return Response.accepted().build();
        }
        enforcer.applyEvents(tenantId, events);
        recent.applied(tenantId, events);
        return Response.noContent().build();
    }

    private boolean authorized(long tenantId, String authorization) {
        if (authorization == null || !authorization.startsWith(SCHEME + " ")) {
            return false;
        }
        byte[] given = authorization.substring(SCHEME.length() + 1).trim().getBytes(StandardCharsets.UTF_8);
        String[] known = tokens.get(tenantId);
        if (known != null && MessageDigest.isEqual(given, known[0].getBytes(StandardCharsets.UTF_8))) {
            return true;
        }
        // First event, or the instance's password changed: derive again from what the database holds.
        Optional<InstanceAccess> at = instances.readyInstance(tenantId);
        if (at.isEmpty()) {
            return false;
        }
        String token = InstanceSpec.eventsToken(at.get().rootPassword());
        tokens.put(tenantId, new String[] {token});
        return MessageDigest.isEqual(given, token.getBytes(StandardCharsets.UTF_8));
    }

    /** MinIO's event message: a record per event; keys are URL-encoded. Other events than the ledger's are skipped. */
    List<UsageLedger.Event> parse(String body) {
        JsonNode root;
        try {
            root = json.readTree(body == null ? "" : body);
        } catch (java.io.IOException e) {
            throw InvalidInputException.of("body", "is not a MinIO event message");
        }
        var events = new ArrayList<UsageLedger.Event>();
        if (root == null) {
            return events;
        }
        for (JsonNode r : root.path("Records")) {
            String name = r.path("eventName").asText("");
            UsageLedger.Kind kind = switch (name) {
                case "s3:ObjectCreated:Put", "s3:ObjectCreated:Post", "s3:ObjectCreated:Copy",
                     "s3:ObjectCreated:CompleteMultipartUpload" -> UsageLedger.Kind.CREATED;
                case "s3:ObjectRemoved:Delete" -> UsageLedger.Kind.REMOVED;
                case "s3:ObjectRemoved:DeleteMarkerCreated" -> UsageLedger.Kind.DELETE_MARKER;
                case "s3:ObjectRemoved:DeleteAllVersions" -> UsageLedger.Kind.REMOVED_ALL;
                default -> null;
            };
            JsonNode s3 = r.path("s3");
            String bucket = s3.path("bucket").path("name").asText("");
            String key = s3.path("object").path("key").asText("");
            String sequencer = s3.path("object").path("sequencer").asText("");
            if (kind == null || bucket.isEmpty() || key.isEmpty()) {
                continue;
            }
            long seq;
            try {
                seq = Long.parseUnsignedLong(sequencer, 16);
            } catch (NumberFormatException e) {
                throw InvalidInputException.of("sequencer", "is not hexadecimal");
            }
            Instant time = null;
            try {
                time = Instant.parse(r.path("eventTime").asText());
            } catch (java.time.format.DateTimeParseException e) {
                // the sequencer orders; the time is only shown
            }
            events.add(new UsageLedger.Event(bucket, URLDecoder.decode(key, StandardCharsets.UTF_8),
                    s3.path("object").path("versionId").asText(null), s3.path("object").path("size").asLong(0), seq, time, kind));
        }
        return events;
    }
}
