/**
 * http-status.md's axios recipe: axios sends through `fetch` (its 'fetch' adapter, axios >= 1.7) so that the
 * runner's loopback stand-in answers https://api.example.com; the recipe itself does not depend on the adapter.
 */
import axios from 'axios';

axios.defaults.adapter = 'fetch';
