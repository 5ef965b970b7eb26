package dev.cogvideox.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The jobs in an SQLite database ({@code jobs.db} in the data folder): settings, state, timings and errors. One
 * connection, every call serialized; each change is its own transaction, committed before the call returns. The
 * WAL journal with synchronous=NORMAL keeps every committed change when the process dies (a crash, {@code kill -9}):
 * the log is written before the call returns and only its syncs to the disk are batched, so a power cut can lose
 * the last changes, not corrupt the file. (FULL would sync each submission, 200 of them in a burst took seconds.)
 */
final class JobStore implements AutoCloseable {
    private static final String COLUMNS = "id, seq, model, state, settings, created_at, started_at, finished_at, error, note, attempts, frames";

    private final Connection db;
    private final ObjectMapper json;

    JobStore(Path file, ObjectMapper json) {
        this.json = json;
        try {
            db = DriverManager.getConnection("jdbc:sqlite:" + file);
            try (Statement s = db.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=NORMAL");
                s.execute("PRAGMA busy_timeout=5000");
                s.execute("""
                        CREATE TABLE IF NOT EXISTS jobs (
                          id TEXT PRIMARY KEY,
                          seq INTEGER NOT NULL UNIQUE,
                          model TEXT NOT NULL,
                          state TEXT NOT NULL,
                          settings TEXT NOT NULL,
                          created_at INTEGER NOT NULL,
                          started_at INTEGER,
                          finished_at INTEGER,
                          error TEXT,
                          note TEXT,
                          attempts INTEGER NOT NULL DEFAULT 0,
                          frames INTEGER NOT NULL DEFAULT 0)""");
                s.execute("CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state, model, seq)");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot open the job database " + file + ": " + e.getMessage(), e);
        }
    }

    /** Adds a queued job; its sequence number follows every job ever stored. */
    synchronized Job insert(String id, JobSettings settings, long now) {
        return run(() -> {
            long seq;
            try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs")) {
                rs.next();
                seq = rs.getLong(1);
            }
            try (PreparedStatement p = db.prepareStatement("INSERT INTO jobs (id, seq, model, state, settings, created_at) VALUES (?, ?, ?, ?, ?, ?)")) {
                p.setString(1, id);
                p.setLong(2, seq);
                p.setString(3, settings.model());
                p.setString(4, Job.State.QUEUED.name());
                p.setString(5, json.writeValueAsString(settings));
                p.setLong(6, now);
                p.executeUpdate();
            }
            return get(id).orElseThrow();
        });
    }

    synchronized Optional<Job> get(String id) {
        return run(() -> {
            try (PreparedStatement p = db.prepareStatement("SELECT " + COLUMNS + " FROM jobs WHERE id = ?")) {
                p.setString(1, id);
                try (ResultSet rs = p.executeQuery()) {
                    return rs.next() ? Optional.of(row(rs)) : Optional.empty();
                }
            }
        });
    }

    /** Every job in submission order, or those in one state. */
    synchronized List<Job> list(Job.State state) {
        return run(() -> {
            String sql = "SELECT " + COLUMNS + " FROM jobs" + (state != null ? " WHERE state = ?" : "") + " ORDER BY seq";
            try (PreparedStatement p = db.prepareStatement(sql)) {
                if (state != null) {
                    p.setString(1, state.name());
                }
                List<Job> out = new ArrayList<>();
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        out.add(row(rs));
                    }
                }
                return out;
            }
        });
    }

    /** Jobs waiting or running. */
    synchronized int activeCount() {
        return run(() -> {
            try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM jobs WHERE state IN ('QUEUED', 'RUNNING')")) {
                rs.next();
                return rs.getInt(1);
            }
        });
    }

    /** A queued job's place in its model's queue (1 = next), or null if it is not queued. */
    synchronized Integer queuePosition(Job job) {
        if (job.state() != Job.State.QUEUED) {
            return null;
        }
        return run(() -> {
            try (PreparedStatement p = db.prepareStatement("SELECT COUNT(*) FROM jobs WHERE state = 'QUEUED' AND model = ? AND seq <= ?")) {
                p.setString(1, job.model());
                p.setLong(2, job.seq());
                try (ResultSet rs = p.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        });
    }

    /** Marks a queued job running; false if it is no longer queued (cancelled or deleted meanwhile). */
    synchronized boolean start(String id, long now) {
        return update("UPDATE jobs SET state = 'RUNNING', started_at = ?, attempts = attempts + 1 WHERE id = ? AND state = 'QUEUED'", now, id) == 1;
    }

    /** Ends a job: succeeded, failed, cancelled or interrupted, with its error and frame count. */
    synchronized void finish(String id, Job.State state, long now, String error, int frames) {
        update("UPDATE jobs SET state = ?, finished_at = ?, error = ?, frames = ? WHERE id = ?", state.name(), now, error, frames, id);
    }

    /** Cancels a job that is still queued; false if it was not queued. */
    synchronized boolean cancelQueued(String id, long now) {
        return update("UPDATE jobs SET state = 'CANCELLED', finished_at = ?, error = 'cancelled before it started' WHERE id = ? AND state = 'QUEUED'",
                now, id) == 1;
    }

    /** Puts a job back in the queue (its place by sequence number is kept), with a note saying why. */
    synchronized void requeue(String id, String note) {
        update("UPDATE jobs SET state = 'QUEUED', started_at = NULL, note = ? WHERE id = ?", note, id);
    }

    synchronized boolean delete(String id) {
        return update("DELETE FROM jobs WHERE id = ?", id) == 1;
    }

    @Override
    public synchronized void close() {
        try {
            db.close();
        } catch (SQLException e) {
            // closing at shutdown: nothing left to do about it
        }
    }

    private int update(String sql, Object... args) {
        return run(() -> {
            try (PreparedStatement p = db.prepareStatement(sql)) {
                for (int i = 0; i < args.length; i++) {
                    if (args[i] == null) {
                        p.setNull(i + 1, Types.VARCHAR);
                    } else {
                        p.setObject(i + 1, args[i]);
                    }
                }
                return p.executeUpdate();
            }
        });
    }

    private Job row(ResultSet rs) throws SQLException, JsonProcessingException {
        return new Job(rs.getString(1), rs.getLong(2), rs.getString(3), Job.State.valueOf(rs.getString(4)),
                json.readValue(rs.getString(5), JobSettings.class), rs.getLong(6), nullableLong(rs, 7),
                nullableLong(rs, 8), rs.getString(9), rs.getString(10), rs.getInt(11), rs.getInt(12));
    }

    private static Long nullableLong(ResultSet rs, int column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    private interface Sql<T> {
        T call() throws SQLException, JsonProcessingException;
    }

    private static <T> T run(Sql<T> body) {
        try {
            return body.call();
        } catch (SQLException | JsonProcessingException e) {
            throw new IllegalStateException("job database: " + e.getMessage(), e);
        }
    }
}
