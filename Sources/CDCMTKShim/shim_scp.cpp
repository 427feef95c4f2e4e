// qct's DICOM Storage SCP: C-ECHO and C-STORE of the SOP classes the caller names, over DCMTK's
// dcmnet (DcmThreadSCP, one thread per association, at most `max_associations` at once). Each
// instance is received straight to a file (exactly as sent) in the incoming folder, then handed
// to the caller's callback before the response goes out, so the peer hears Success only for what
// the node kept. DCMTK 3.6.7 binds its listening socket to every interface; the socket is replaced
// at once by one bound to the configured address (loopback unless configured).
#include "shim_internal.h"

#include "dcmtk/dcmnet/assoc.h"
#include "dcmtk/dcmnet/dimse.h"
#include "dcmtk/dcmnet/dulstruc.h"
#include "dcmtk/dcmnet/scpthrd.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

namespace {

std::string trimmed(const OFString &s) {
    std::string t(s.c_str());
    while (!t.empty() && (t.back() == ' ' || t.back() == '\0')) t.pop_back();
    size_t b = 0;
    while (b < t.size() && t[b] == ' ') ++b;
    return t.substr(b);
}

struct Allowed {
    std::string ae;
    std::string host;  // empty: any host
};

}  // namespace

struct qct_scp {
    std::string aeTitle, bindAddress, incoming;
    std::vector<std::string> sopClasses, syntaxes;
    std::vector<Allowed> allowed;
    uint16_t maxAssociations = 8;
    void *context = nullptr;
    qct_scp_stored stored = nullptr;
    qct_scp_event event = nullptr;

    T_ASC_Network *network = nullptr;
    DcmSharedSCPConfig shared;
    std::thread listener;
    std::atomic<bool> stopping{false};
    std::mutex mutex;
    std::condition_variable idle;
    int active = 0;
    std::atomic<uint64_t> sequence{0};
    uint16_t port = 0;

    bool callerAllowed(const std::string &ae, const std::string &ip) const {
        if (allowed.empty()) return ip == "127.0.0.1" || ip == "::1" || ip.rfind("127.", 0) == 0;
        for (const auto &a : allowed)
            if (a.ae == ae && (a.host.empty() || a.host == ip)) return true;
        return false;
    }
    void report(int kind, const std::string &ae, const std::string &ip, const std::string &detail) const {
        if (event) event(context, kind, ae.c_str(), ip.c_str(), detail.c_str());
    }
    void serve();
};

namespace {

/// One association: the called AE title and the calling AE (with its host) are checked before
/// anything is accepted; C-STORE writes the data set to a file and asks the node to keep it.
class StoreWorker : public DcmThreadSCP {
public:
    explicit StoreWorker(qct_scp &owner) : scp(owner) {}

protected:
    OFBool checkCalledAETitleAccepted(const OFString &calledAE) override { return trimmed(calledAE) == scp.aeTitle; }
    OFBool checkCallingAETitleAccepted(const OFString &callingAE) override {
        return scp.callerAllowed(trimmed(callingAE), trimmed(getPeerIP()));
    }
    void refuseAssociation(const DcmRefuseReasonType reason) override {
        const char *why = "refused";
        switch (reason) {
        case DCMSCP_CALLED_AE_TITLE_NOT_RECOGNIZED: why = "called AE title not recognized"; break;
        case DCMSCP_CALLING_AE_TITLE_NOT_RECOGNIZED: why = "calling AE title not recognized (not on the allow-list for its host)"; break;
        case DCMSCP_CALLING_HOST_NOT_ALLOWED: why = "calling host not allowed"; break;
        case DCMSCP_NO_PRESENTATION_CONTEXTS: why = "no acceptable presentation context (SOP class or transfer syntax not served)"; break;
        case DCMSCP_BAD_APPLICATION_CONTEXT_NAME: why = "bad application context name"; break;
        case DCMSCP_TOO_MANY_ASSOCIATIONS: why = "too many associations"; break;
        default: break;
        }
        scp.report(2, trimmed(getPeerAETitle()), trimmed(getPeerIP()), why);
        DcmThreadSCP::refuseAssociation(reason);
    }
    void notifyAssociationAcknowledge() override { scp.report(1, trimmed(getPeerAETitle()), trimmed(getPeerIP()), "accepted"); }
    void notifyAssociationTermination() override { scp.report(3, trimmed(getPeerAETitle()), trimmed(getPeerIP()), "ended"); }

    OFCondition handleIncomingCommand(T_DIMSE_Message *msg, const DcmPresentationContextInfo &info) override {
        if (msg->CommandField != DIMSE_C_STORE_RQ) return DcmThreadSCP::handleIncomingCommand(msg, info);
        T_DIMSE_C_StoreRQ &req = msg->msg.CStoreRQ;
        const std::string path = scp.incoming + "/" + std::to_string(getpid()) + "-" +
                                 std::to_string(scp.sequence.fetch_add(1)) + ".part";
        OFCondition cond = receiveSTORERequest(req, info.presentationContextID, OFString(path.c_str()));
        if (cond.bad()) {
            std::remove(path.c_str());
            scp.report(4, trimmed(getPeerAETitle()), trimmed(getPeerIP()), std::string("C-STORE not received: ") + cond.text());
            return cond;
        }
        Uint16 status = STATUS_STORE_Refused_OutOfResources;
        try {
            status = scp.stored ? scp.stored(scp.context, path.c_str(), req.AffectedSOPClassUID, req.AffectedSOPInstanceUID,
                                             trimmed(getPeerAETitle()).c_str(), trimmed(getPeerIP()).c_str())
                                : STATUS_STORE_Refused_OutOfResources;
        } catch (...) {
            status = STATUS_STORE_Refused_OutOfResources;
        }
        if (status != STATUS_Success) std::remove(path.c_str());
        return sendSTOREResponse(info.presentationContextID, req, status);
    }

private:
    qct_scp &scp;
};

/// Replaces DCMTK's listening socket (bound to every interface) with one bound to `address`
/// on the same port. Returns the port, or 0 with `err` set.
uint16_t rebind(T_ASC_Network *network, const std::string &address, qct_error *err) {
    auto *key = reinterpret_cast<PRIVATE_NETWORKKEY *>(network->network);
    const int old = key->networkSpecific.TCP.listenSocket;
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    if (getsockname(old, reinterpret_cast<sockaddr *>(&bound), &len) != 0) {
        qct_set_error(err, QCT_ERROR_IO, errno, "qct", "cannot read the DICOM listening socket");
        return 0;
    }
    const uint16_t port = ntohs(reinterpret_cast<sockaddr_in *>(&bound)->sin_port);
    if (address == "0.0.0.0") return port;
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    if (inet_pton(AF_INET, address.c_str(), &sin.sin_addr) != 1) {
        qct_set_error(err, QCT_ERROR_ARGUMENT, 0, "qct", "DICOM bind address " + address + " is not an IPv4 address");
        return 0;
    }
    close(old);
    const int fresh = socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    setsockopt(fresh, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fresh < 0 || bind(fresh, reinterpret_cast<sockaddr *>(&sin), sizeof sin) != 0 || listen(fresh, 64) != 0) {
        qct_set_error(err, QCT_ERROR_IO, errno, "qct", "cannot listen on " + address + ":" + std::to_string(port) + ": " + strerror(errno));
        if (fresh >= 0) close(fresh);
        return 0;
    }
    if (fresh != old) {
        dup2(fresh, old);
        close(fresh);
    }
    return port;
}

}  // namespace

void qct_scp::serve() {
    while (!stopping.load()) {
        T_ASC_Association *assoc = nullptr;
        OFCondition cond = ASC_receiveAssociation(network, &assoc, ASC_DEFAULTMAXPDU, nullptr, nullptr, OFFalse, DUL_NOBLOCK, 1);
        if (cond.bad()) {
            if (cond != DUL_NOASSOCIATIONREQUEST && assoc) ASC_dropAssociation(assoc);
            ASC_destroyAssociation(&assoc);
            continue;
        }
        {
            std::lock_guard<std::mutex> lock(mutex);
            if (active >= maxAssociations) {
                T_ASC_RejectParameters rej{ASC_RESULT_REJECTEDTRANSIENT, ASC_SOURCE_SERVICEPROVIDER_PRESENTATION_RELATED,
                                           ASC_REASON_SP_PRES_LOCALLIMITEXCEEDED};
                ASC_rejectAssociation(assoc, &rej);
                ASC_dropAssociation(assoc);
                ASC_destroyAssociation(&assoc);
                report(2, "", "", "too many associations at once (" + std::to_string(maxAssociations) + ")");
                continue;
            }
            ++active;
        }
        std::thread([this, assoc]() {
            try {
                StoreWorker worker(*this);
                worker.setSharedConfig(shared);
                worker.run(assoc);
            } catch (...) {
                report(4, "", "", "association ended by an internal error");
            }
            std::lock_guard<std::mutex> lock(mutex);
            --active;
            idle.notify_all();
        }).detach();
    }
}

extern "C" qct_scp *qct_scp_start(const qct_scp_config *config, qct_error *err) {
    return qct_guard<qct_scp *>(err, nullptr, [&]() -> qct_scp * {
        qct_init();
        auto scp = std::make_unique<qct_scp>();
        scp->aeTitle = config->ae_title ? config->ae_title : "QCT";
        scp->bindAddress = config->bind_address ? config->bind_address : "127.0.0.1";
        scp->incoming = config->incoming_dir ? config->incoming_dir : ".";
        for (size_t i = 0; i < config->sop_class_count; ++i) scp->sopClasses.emplace_back(config->sop_classes[i]);
        for (size_t i = 0; i < config->transfer_syntax_count; ++i) scp->syntaxes.emplace_back(config->transfer_syntaxes[i]);
        for (size_t i = 0; i < config->allowed_count; ++i)
            scp->allowed.push_back({config->allowed_ae[i], config->allowed_host && config->allowed_host[i] ? config->allowed_host[i] : ""});
        scp->maxAssociations = config->max_associations ? config->max_associations : 8;
        scp->context = config->context;
        scp->stored = config->stored;
        scp->event = config->event;

        DcmSCPConfig cfg;
        cfg.setAETitle(scp->aeTitle.c_str());
        cfg.setPort(config->port);
        cfg.setHostLookupEnabled(OFFalse);
        cfg.setConnectionBlockingMode(DUL_NOBLOCK);
        cfg.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
        cfg.setACSETimeout(config->acse_timeout_s ? config->acse_timeout_s : 30);
        cfg.setDIMSETimeout(config->dimse_timeout_s ? config->dimse_timeout_s : 60);
        OFList<OFString> verification, syntaxes;
        verification.push_back(UID_LittleEndianExplicitTransferSyntax);
        verification.push_back(UID_LittleEndianImplicitTransferSyntax);
        for (const auto &s : scp->syntaxes) syntaxes.push_back(s.c_str());
        OFCondition cond = cfg.addPresentationContext(UID_VerificationSOPClass, verification);
        for (const auto &c : scp->sopClasses)
            if (cond.good()) cond = cfg.addPresentationContext(c.c_str(), syntaxes);
        if (cond.bad()) {
            qct_set_condition(err, QCT_ERROR_ARGUMENT, cond, "presentation contexts");
            return nullptr;
        }
        scp->shared = DcmSharedSCPConfig(cfg);
        cond = ASC_initializeNetwork(NET_ACCEPTOR, config->port, static_cast<int>(cfg.getACSETimeout()), &scp->network);
        if (cond.bad()) {
            qct_set_condition(err, QCT_ERROR_IO, cond, "cannot listen for DICOM on port " + std::to_string(config->port));
            return nullptr;
        }
        scp->port = rebind(scp->network, scp->bindAddress, err);
        if (scp->port == 0) {
            ASC_dropNetwork(&scp->network);
            return nullptr;
        }
        qct_scp *raw = scp.release();
        raw->listener = std::thread([raw]() { raw->serve(); });
        return raw;
    });
}

extern "C" uint16_t qct_scp_port(const qct_scp *scp) { return scp ? scp->port : 0; }

extern "C" void qct_scp_stop(qct_scp *scp) {
    if (!scp) return;
    try {
        scp->stopping.store(true);
        if (scp->listener.joinable()) scp->listener.join();
        {
            std::unique_lock<std::mutex> lock(scp->mutex);
            scp->idle.wait_for(lock, std::chrono::seconds(120), [scp]() { return scp->active == 0; });
        }
        ASC_dropNetwork(&scp->network);
        if (scp->active == 0) delete scp;  // else workers still hold it: leave it (the process is ending)
    } catch (...) {
    }
}
