-- Rasa's tracker store gets a database of its own beside the store's (deploy/endpoints.yml).
CREATE DATABASE tracker OWNER assistant;
