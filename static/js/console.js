// The console page: asks Berth for a single-use ticket, opens the console WebSocket with it and hands the socket
// to noVNC (served by Berth from static/vendor, no CDN). Berth closes a refused or ended console with a reason,
// which noVNC does not pass on, so the page listens to the socket's close event itself.
import RFB from '/static/vendor/novnc-1.7.0/core/rfb.js';

const screen = document.getElementById('console-screen');
const status = document.getElementById('console-status');
const message = document.getElementById('console-message');
const cad = document.getElementById('console-cad');
const fullscreen = document.getElementById('console-fullscreen');
const reconnect = document.getElementById('console-reconnect');
let rfb = null;

function setState(state, text) {
    status.dataset.state = state;
    status.className = 'pf-v5-c-label ' + ({ connected: 'pf-m-green', connecting: 'pf-m-blue' }[state] || 'pf-m-orange');
    status.querySelector('.pf-v5-c-label__content').textContent = text;
    cad.disabled = state !== 'connected';
    reconnect.disabled = state === 'connecting';
}

function say(text, danger) {
    message.hidden = !text;
    message.className = 'pf-v5-c-alert pf-m-inline pf-v5-u-mb-md berth-console-message ' + (danger ? 'pf-m-danger' : 'pf-m-warning');
    message.querySelector('.pf-v5-c-alert__title').textContent = text || '';
}

function closedText(close) {
    if (!close) {
        return 'The console closed.';
    }
    if (close.reason) {
        return close.reason;
    }
    return close.code === 1006 ? 'The connection to Berth was lost.' : 'The console closed (code ' + close.code + ').';
}

async function connect() {
    if (rfb) {
        const old = rfb;
        rfb = null;
        old.disconnect();
    }
    screen.replaceChildren();
    say(null);
    setState('connecting', 'Asking for a ticket…');
    let response;
    try {
        response = await fetch(screen.dataset.ticketUrl, {
            method: 'POST', credentials: 'same-origin', headers: { Accept: 'application/json' },
        });
    } catch (e) {
        setState('disconnected', 'Not connected');
        say('Berth did not answer: ' + e.message, true);
        return;
    }
    if (!response.ok) {
        let detail = null;
        try {
            detail = (await response.json()).detail;
        } catch (e) {
            // not problem+json: say the status
        }
        setState('disconnected', 'Not connected');
        say(detail || 'Berth gave no console ticket (HTTP ' + response.status + ').', response.status >= 500);
        return;
    }
    const ticket = await response.json();
    setState('connecting', 'Connecting…');
    const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    const ws = new WebSocket(scheme + location.host + ticket.websocketPath + '?ticket=' + encodeURIComponent(ticket.ticket));
    let close = null;
    ws.addEventListener('close', (e) => { close = e; }); // registered before noVNC's handler: runs first
    const mine = new RFB(screen, ws, { shared: true });
    rfb = mine;
    mine.scaleViewport = true;
    mine.background = '#151515';
    mine.addEventListener('connect', () => {
        setState('connected', 'Connected');
        mine.focus({ preventScroll: true });
    });
    mine.addEventListener('disconnect', (e) => {
        if (rfb !== mine) {
            return; // replaced by a reconnect
        }
        rfb = null;
        setState('disconnected', 'Not connected');
        const ended = close && close.code === 1000;
        say(closedText(close) + (e.detail.clean || ended ? '' : ' Press Reconnect to try again.'), !ended && !(close && close.code >= 4000));
    });
    mine.addEventListener('credentialsrequired', () => {
        const password = window.prompt('This machine\'s VNC display asks for a password:');
        if (password === null) {
            mine.disconnect();
        } else {
            mine.sendCredentials({ password });
        }
    });
    mine.addEventListener('securityfailure', (e) => say('The VNC server refused: ' + (e.detail.reason || 'security failure') + '.', true));
    mine.addEventListener('desktopname', (e) => { document.title = e.detail.name + ' · Console · Berth'; });
}

cad.addEventListener('click', () => rfb && rfb.sendCtrlAltDel());
fullscreen.addEventListener('click', () => {
    if (document.fullscreenElement) {
        document.exitFullscreen();
    } else {
        screen.requestFullscreen().catch((e) => say('Full screen was refused: ' + e.message));
    }
});
reconnect.addEventListener('click', connect);
connect();
