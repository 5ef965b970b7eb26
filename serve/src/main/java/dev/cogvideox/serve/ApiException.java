package dev.cogvideox.serve;

/** A request the service refuses: the HTTP status and a message that says what is wrong and what to do. */
final class ApiException extends RuntimeException {
    private final int status;
    private final String field;

    ApiException(int status, String message) {
        this(status, null, message);
    }

    ApiException(int status, String field, String message) {
        super(message);
        this.status = status;
        this.field = field;
    }

    int status() {
        return status;
    }

    /** The request field at fault, or null. */
    String field() {
        return field;
    }

    static ApiException badRequest(String field, String message) {
        return new ApiException(400, field, message);
    }

    static ApiException notFound(String message) {
        return new ApiException(404, message);
    }

    static ApiException conflict(String message) {
        return new ApiException(409, message);
    }
}
