package dev.berth.compute;

import dev.berth.common.RequestIds;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.security.QuarkusHttpUser;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * The console WebSocket: {@code GET /console/ws/{machineId}?ticket=…} upgrades, redeems the ticket (off the event
 * loop: database and libvirt), connects to the machine's VNC server and pipes bytes both ways as binary frames,
 * with back-pressure, until either side closes. The ticket authenticates the request (scripts have no session);
 * when a session or bearer token comes along too, its user must be the ticket's.
 *
 * <p>The proxy connects only where {@link ConsoleRules#target} allows (the machine's own host, a console port), and
 * relays nothing in either direction until the server there has sent an RFB banner ({@link ConsoleRules#rfbBanner}):
 * a domain whose XML names another service's port must not become a tunnel from a browser to that service.
 *
 * <p>Refusals are WebSocket closes with a 44xx code and a reason the page shows ({@link ConsoleService}): a browser
 * cannot read the status of a refused upgrade. When the VNC server hangs up, the machine's state says whether it
 * shut down (close 1000, "The machine shut down.") or its VNC server went away.
 */
@ApplicationScoped
public class ConsoleProxy {
    private static final Logger LOG = Logger.getLogger(ConsoleProxy.class);

    @Inject
    ConsoleService consoles;
    @Inject
    ConsoleConfig config;
    @Inject
    Vertx vertx;

    private volatile NetClient client;

    void install(@Observes Router router) {
        router.get(ConsoleService.WEBSOCKET_PATH + ":id").handler(this::handle);
    }

    @PreDestroy
    void close() {
        NetClient c = client;
        if (c != null) {
            c.close();
        }
    }

    private NetClient client() {
        NetClient c = client;
        if (c == null) {
            synchronized (this) {
                if (client == null) {
                    client = vertx.createNetClient(new NetClientOptions()
                            .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()))
                            .setTcpNoDelay(true));
                }
                c = client;
            }
        }
        return c;
    }

    private void handle(RoutingContext ctx) {
        long id;
        try {
            id = Long.parseLong(ctx.pathParam("id"));
        } catch (NumberFormatException e) {
            ctx.fail(404);
            return;
        }
        if (!"websocket".equalsIgnoreCase(ctx.request().getHeader("Upgrade"))) {
            ctx.response().setStatusCode(400).putHeader("Content-Type", "text/plain;charset=UTF-8")
                    .end("A console is a WebSocket: ask for a ticket (POST /api/v1/vms/" + id
                            + "/console) and open the websocketPath it names with ?ticket=<ticket>.\n");
            return;
        }
        String ticket = ctx.request().getParam("ticket");
        String presenter = presenter(ctx);
        String requestId = RequestIds.of(ctx);
        String source = ctx.request().remoteAddress() == null ? null : ctx.request().remoteAddress().hostAddress();
        ctx.request().toWebSocket().onFailure(e -> LOG.debugf("console upgrade failed: %s", e.getMessage()))
                .onSuccess(ws -> {
                    ws.pause(); // nothing reaches the machine before the ticket is redeemed and the server greeted as VNC
                    vertx.executeBlocking(() -> consoles.redeem(ticket, id, presenter, requestId, source), false)
                            .onSuccess(session -> connect(ws, session))
                            .onFailure(e -> {
                                if (e instanceof ConsoleService.Refused r) {
                                    ws.close(r.code, r.getMessage());
                                } else {
                                    LOG.errorf(e, "console for machine %d (request %s)", id, requestId);
                                    ws.close((short) 1011, "Berth failed to open the console; request " + requestId);
                                }
                            });
                });
    }

    /** The signed-in user of the upgrade request (session cookie or bearer token), or null for the ticket alone. */
    private static String presenter(RoutingContext ctx) {
        if (ctx.user() instanceof QuarkusHttpUser user) {
            SecurityIdentity identity = user.getSecurityIdentity();
            if (identity != null && !identity.isAnonymous()) {
                return identity.getPrincipal().getName();
            }
        }
        return null;
    }

    private void connect(ServerWebSocket ws, ConsoleService.Session session) {
        ConsoleRules.Target target = session.target();
        client().connect(target.port(), target.host()).onComplete(result -> {
            if (result.failed()) {
                String error = String.valueOf(result.cause().getMessage());
                blocking(() -> consoles.unreachable(session, error));
                ws.close((short) ConsoleService.CLOSE_UNREACHABLE, "The machine's VNC server did not answer.");
                return;
            }
            if (ws.isClosed()) { // the viewer left while Berth connected
                result.result().close();
                return;
            }
            awaitBanner(ws, result.result(), session);
        });
    }

    /**
     * Reads the server's first 12 bytes while the WebSocket stays paused: only an RFB banner opens the pipe (and is
     * the first thing the viewer gets). Anything else, a hang-up, or silence for the connect timeout closes both
     * sides without relaying a byte. A VNC server speaks first, so a real viewer loses nothing by waiting.
     */
    private void awaitBanner(ServerWebSocket ws, NetSocket vnc, ConsoleService.Session session) {
        Buffer first = Buffer.buffer(ConsoleRules.RFB_BANNER_BYTES);
        AtomicBoolean decided = new AtomicBoolean();
        long timeout = Math.max(1, config.connectTimeout().toMillis());
        long timer = vertx.setTimer(timeout, t -> {
            if (decided.compareAndSet(false, true)) {
                refuse(ws, vnc, session, "sent no RFB greeting within " + config.connectTimeout().toMillis() + " ms");
            }
        });
        vnc.handler(data -> {
            if (decided.get()) {
                return;
            }
            first.appendBuffer(data);
            if (first.length() < ConsoleRules.RFB_BANNER_BYTES || !decided.compareAndSet(false, true)) {
                return;
            }
            vertx.cancelTimer(timer);
            byte[] banner = first.getBytes(0, ConsoleRules.RFB_BANNER_BYTES);
            if (!ConsoleRules.rfbBanner(banner)) {
                refuse(ws, vnc, session, "sent no RFB greeting (its first bytes: \"" + ConsoleRules.printable(banner, banner.length) + "\")");
                return;
            }
            blocking(() -> consoles.opened(session));
            pipe(ws, vnc, session, first);
        });
        vnc.closeHandler(v -> {
            if (decided.compareAndSet(false, true)) {
                vertx.cancelTimer(timer);
                refuse(ws, vnc, session, "closed the connection with no RFB greeting (" + first.length() + " bytes)");
            }
        });
        vnc.exceptionHandler(e -> LOG.debugf("console VNC connection of %s: %s", session.machineName(), e.getMessage()));
    }

    private void refuse(ServerWebSocket ws, NetSocket vnc, ConsoleService.Session session, String why) {
        vnc.close();
        blocking(() -> consoles.notVnc(session, why));
        if (!ws.isClosed()) {
            ws.close((short) ConsoleService.CLOSE_UNREACHABLE, "The machine's display port is not a VNC server; Berth closed it.");
        }
    }

    /** @param greeting the banner and whatever came with it: the viewer's first bytes */
    private void pipe(ServerWebSocket ws, NetSocket vnc, ConsoleService.Session session, Buffer greeting) {
        Instant start = Instant.now();
        AtomicLong toMachine = new AtomicLong();
        AtomicLong fromMachine = new AtomicLong(greeting.length());
        ws.writeBinaryMessage(greeting);
        AtomicBoolean finished = new AtomicBoolean();
        RfbSharedFlag shared = new RfbSharedFlag();

        ws.handler(data -> {
            Buffer out = data;
            if (!shared.done()) {
                byte[] bytes = data.getBytes();
                shared.filter(bytes, 0, bytes.length);
                out = Buffer.buffer(bytes);
            }
            toMachine.addAndGet(out.length());
            vnc.write(out);
            if (vnc.writeQueueFull()) {
                ws.pause();
                vnc.drainHandler(v -> ws.resume());
            }
        });
        vnc.handler(data -> {
            fromMachine.addAndGet(data.length());
            ws.writeBinaryMessage(data);
            if (ws.writeQueueFull()) {
                vnc.pause();
                ws.drainHandler(v -> vnc.resume());
            }
        });
        ws.closeHandler(v -> {
            vnc.close();
            if (finished.compareAndSet(false, true)) {
                Duration open = Duration.between(start, Instant.now());
                blocking(() -> consoles.closed(session, "closed by the viewer", open, toMachine.get(), fromMachine.get()));
            }
        });
        vnc.closeHandler(v -> {
            if (!finished.compareAndSet(false, true)) {
                return; // the viewer closed first
            }
            Duration open = Duration.between(start, Instant.now());
            // Why did the VNC server hang up? A machine that shut down takes its VNC server with it.
            vertx.executeBlocking(() -> consoles.running(session), false).onComplete(r -> {
                Boolean running = r.succeeded() ? r.result() : null;
                String why = Boolean.FALSE.equals(running) ? "The machine shut down."
                        : "The machine's VNC server closed the connection.";
                blocking(() -> consoles.closed(session, why, open, toMachine.get(), fromMachine.get()));
                if (!ws.isClosed()) {
                    ws.close((short) 1000, why);
                }
            });
        });
        ws.exceptionHandler(e -> {
            LOG.debugf("console WebSocket of %s: %s", session.machineName(), e.getMessage());
            vnc.close();
        });
        vnc.exceptionHandler(e -> {
            LOG.debugf("console VNC connection of %s: %s", session.machineName(), e.getMessage());
            vnc.close();
        });
        ws.resume();
    }

    /** Audit writes block (a transaction): never on the event loop. */
    private void blocking(Runnable work) {
        vertx.executeBlocking(() -> {
            work.run();
            return null;
        }, false).onFailure(e -> LOG.errorf(e, "console audit"));
    }
}
