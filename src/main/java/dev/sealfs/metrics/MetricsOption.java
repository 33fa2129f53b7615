package dev.sealfs.metrics;

import java.util.List;

/**
 * The {@code -o metrics} mount option: absent (only the always-free numbers, no per-request
 * recording), {@code metrics} (record, served only through the stats xattr), or
 * {@code metrics=[HOST:]PORT} (record and serve /metrics over HTTP; HOST defaults to 127.0.0.1,
 * port 0 lets the kernel choose and the chosen port is logged).
 *
 * @param recording per-request recording is on
 * @param host the HTTP address to bind, or null for no server
 * @param port the HTTP port (0: any free one)
 */
public record MetricsOption(boolean recording, String host, int port) {

  /** The option's name. */
  public static final String NAME = "metrics";
  /** The host used when the option gives only a port. */
  public static final String DEFAULT_HOST = "127.0.0.1";
  /** No metrics option given. */
  public static final MetricsOption OFF = new MetricsOption(false, null, 0);

  /** Returns true if {@code o} is this option (so it is not passed to libfuse or the kernel). */
  public static boolean matches(String o) {
    return o.equals(NAME) || o.startsWith(NAME + "=");
  }

  /** Returns the option the list chooses (the last one wins); IllegalArgumentException if bad. */
  public static MetricsOption of(List<String> options) {
    MetricsOption m = OFF;
    for (String o : options) {
      if (o.equals(NAME)) {
        m = new MetricsOption(true, null, 0);
      } else if (o.startsWith(NAME + "=")) {
        m = parse(o.substring(NAME.length() + 1));
      }
    }
    return m;
  }

  /** Parses {@code [HOST:]PORT} ({@code [v6addr]:PORT} for IPv6). */
  static MetricsOption parse(String v) {
    int colon = v.lastIndexOf(':');
    String host = colon < 0 ? DEFAULT_HOST : v.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    if (host.isEmpty()) {
      host = DEFAULT_HOST;
    }
    int port;
    try {
      port = Integer.parseInt(v.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("metrics=" + v + ": expected HOST:PORT");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("metrics=" + v + ": port must be 0..65535");
    }
    return new MetricsOption(true, host, port);
  }
}
