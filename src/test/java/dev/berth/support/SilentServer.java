package dev.berth.support;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A host that hangs: listens on 127.0.0.1, accepts every connection and never sends a byte. Closing it closes
 * the accepted sockets too, which lets a client stuck on them (an abandoned libvirt probe thread) return.
 */
public final class SilentServer implements AutoCloseable {
    private final ServerSocket server;
    private final List<Socket> accepted = new CopyOnWriteArrayList<>();
    private final AtomicInteger hungUpByClient = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();

    public SilentServer() throws IOException {
        server = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("silent-server").start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    accepted.add(socket);
                    Thread.ofVirtual().start(() -> awaitHangUp(socket));
                } catch (IOException e) {
                    return; // closed
                }
            }
        });
    }

    public int port() {
        return server.getLocalPort();
    }

    public int acceptedConnections() {
        return accepted.size();
    }

    /** Connections the client closed (it gave up: nothing of it stays behind on this connection). */
    public int hungUpByClient() {
        return hungUpByClient.get();
    }

    private void awaitHangUp(Socket socket) {
        try {
            while (socket.getInputStream().read() >= 0) {
                // whatever the client sends is ignored
            }
            hungUpByClient.incrementAndGet();
        } catch (IOException e) {
            // A client that aborts its connection resets it (HttpClient closes immediately, SO_LINGER 0): that is a
            // hang-up too. Only sockets this server closed itself do not count.
            if (!closing.get()) {
                hungUpByClient.incrementAndGet();
            }
        }
    }

    @Override
    public void close() throws IOException {
        closing.set(true);
        server.close();
        for (Socket socket : accepted) {
            socket.close();
        }
    }

    /** A loopback port nobody listens on (bound, then released: the kernel hands out ports in sequence). */
    public static int refusedPort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }
}
