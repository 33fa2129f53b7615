package dev.sealfs.metrics;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import java.io.IOException;

/** The HTTP endpoint of {@code -o metrics=HOST:PORT}: {@code /metrics} in the text format. */
public final class MetricsServer implements AutoCloseable {

  /** The library's server (its threads are daemons). */
  private final HTTPServer server;

  private MetricsServer(HTTPServer server) {
    this.server = server;
  }

  /** Starts serving {@code metrics} at {@code host}:{@code port} (0: any free port). */
  public static MetricsServer start(FsMetrics metrics, String host, int port) throws IOException {
    return new MetricsServer(HTTPServer.builder().hostname(host).port(port)
        .registry(metrics.registry()).buildAndStart());
  }

  /** Returns the port actually bound. */
  public int port() {
    return server.getPort();
  }

  /** Stops the server. */
  @Override
  public void close() {
    server.close();
  }
}
