package dev.berth.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A Docker host that can be unplugged: tcp://127.0.0.1:port forwarded to the local engine's unix socket.
 * {@link #stop()} closes the listener and every open connection (the host is gone); {@link #start()} listens on
 * the same port again (the host is back).
 */
public final class UnixSocketProxy implements AutoCloseable {
    private final Path socket;
    private final int port;
    private final List<AutoCloseable> open = new CopyOnWriteArrayList<>();
    private volatile ServerSocket server;

    public UnixSocketProxy(Path socket) throws IOException {
        this.socket = socket;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            this.port = probe.getLocalPort();
        }
        start();
    }

    public int port() {
        return port;
    }

    public synchronized void start() throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        server = s;
        Thread.ofVirtual().name("docker-proxy").start(() -> {
            while (!s.isClosed()) {
                try {
                    Socket client = s.accept();
                    SocketChannel engine = SocketChannel.open(StandardProtocolFamily.UNIX);
                    engine.connect(UnixDomainSocketAddress.of(socket));
                    open.add(client);
                    open.add(engine);
                    pipe(client.getInputStream(), Channels.newOutputStream(engine), client, engine);
                    pipe(Channels.newInputStream(engine), client.getOutputStream(), client, engine);
                } catch (IOException e) {
                    return; // listener closed
                }
            }
        });
    }

    public synchronized void stop() {
        try {
            if (server != null) {
                server.close();
            }
        } catch (IOException e) {
            // closing
        }
        for (AutoCloseable c : open) {
            try {
                c.close();
            } catch (Exception e) {
                // closing
            }
        }
        open.clear();
    }

    private void pipe(InputStream in, OutputStream out, AutoCloseable a, AutoCloseable b) {
        Thread.ofVirtual().start(() -> {
            try {
                in.transferTo(out);
            } catch (IOException e) {
                // one side closed
            } finally {
                try {
                    a.close();
                    b.close();
                } catch (Exception e) {
                    // closing
                }
                open.remove(a);
                open.remove(b);
            }
        });
    }

    @Override
    public void close() {
        stop();
    }
}
