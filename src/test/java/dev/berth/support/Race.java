package dev.berth.support;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

/** Requests released at the same moment, one thread each, as many users clicking at once. */
public final class Race {
    private Race() {
    }

    /** {@code n} calls of {@code request} (with their index) started together; their results in index order. */
    public static <T> List<T> of(int n, IntFunction<T> request) throws Exception {
        var gate = new CountDownLatch(1);
        var pool = Executors.newFixedThreadPool(n);
        try {
            var futures = new ArrayList<Future<T>>();
            for (int i = 0; i < n; i++) {
                int k = i;
                futures.add(pool.submit(() -> {
                    gate.await();
                    return request.apply(k);
                }));
            }
            gate.countDown();
            var results = new ArrayList<T>();
            for (var f : futures) {
                results.add(f.get());
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }
}
